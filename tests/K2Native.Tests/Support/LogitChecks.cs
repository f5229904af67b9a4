// The two logit comparisons the model tests share: a checkpoint's CPU logits at every SIMD width against the plain
// double-precision reference model (variants written here), and against a fixture's reference logits (transformers
// or an independent PyTorch pass).
using K2Native.Backends.Cpu;
using K2Native.Checkpoint;
using K2Native.Model;
using K2Native.Tests.Reference;

namespace K2Native.Tests.Support;

internal static class LogitChecks
{
    /// <summary>The CPU backend's causal logits [ids, vocab] for <paramref name="ids"/>.</summary>
    public static float[] CpuLogits(K2Checkpoint checkpoint, SimdWidth width, int[] ids)
    {
        var model = K2Model.Load(checkpoint, new CpuBackend(width));
        var logits = new float[(long)ids.Length * checkpoint.Config.VocabSize];
        model.Forward(ids, logits);
        return logits;
    }

    /// <summary>Every SIMD width's logits within relative L2 1e-4 of the reference model on the checkpoint in
    /// <paramref name="dir"/>.</summary>
    public static void EveryWidthMatchesReferenceModel(string dir, int[] ids, string label)
    {
        using var reference = new ReferenceModel(dir);
        var expected = reference.Forward(ids).SelectMany(r => r).ToArray();
        using var checkpoint = K2Checkpoint.Open(dir);
        foreach (var width in Simd.Supported())
        {
            double error = TestData.RelativeL2(CpuLogits(checkpoint, width, ids), expected);
            Assert.True(error < 1e-4, $"{label} ({width}): relative L2 error {error:E2}");
        }
    }

    /// <summary>Relative L2 at most 1e-3 and top-1 agreement at least 99% against a fixture's reference
    /// logits.</summary>
    public static void CloseToFixture(float[] logits, float[] reference, int vocabSize, SimdWidth width)
    {
        double error = TestData.RelativeL2(logits, reference);
        double agreement = TestData.TopOneAgreement(logits, reference, vocabSize);
        Assert.True(error <= 1e-3, $"relative L2 error {error:E3} > 1e-3 ({width})");
        Assert.True(agreement >= 0.99, $"top-1 agreement {agreement:P1} < 99% ({width})");
    }
}

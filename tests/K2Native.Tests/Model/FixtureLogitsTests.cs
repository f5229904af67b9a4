// End-to-end numerics against Hugging Face transformers: logits of ../shared/fixtures/tiny-k2
// (DeepseekV3ForCausalLM, float32, dequantized INT4 experts) must match within the fixture's tolerances.
using K2Native.Backends.Cpu;
using K2Native.Checkpoint;
using K2Native.Model;
using K2Native.Tests.Reference;
using K2Native.Tests.Support;

namespace K2Native.Tests.Model;

public sealed class FixtureLogitsTests
{
    public static TheoryData<SimdWidth> Widths() => new(Simd.Supported());

    [SharedTheory]
    [MemberData(nameof(Widths))]
    public void CpuLogitsMatchTransformers(SimdWidth width)
    {
        var (ids, reference) = LoadReference();
        using var checkpoint = K2Checkpoint.Open(SharedFixtures.TinyK2);
        LogitChecks.CloseToFixture(
            LogitChecks.CpuLogits(checkpoint, width, ids), reference, checkpoint.Config.VocabSize, width);
    }

    [SharedFact]
    public void ReferenceModelItselfMatchesTransformers()
    {
        var (ids, reference) = LoadReference();
        using var model = new ReferenceModel(SharedFixtures.TinyK2);
        var logits = model.Forward(ids[..48]).SelectMany(r => r.Select(v => (float)v)).ToArray();
        Assert.True(TestData.RelativeL2(logits, reference.AsSpan(0, logits.Length)) <= 1e-5);
    }

    internal static (int[] Ids, float[] Logits) LoadReference()
    {
        string dir = Path.Combine(SharedFixtures.TinyK2, "reference");
        var ids = File.ReadAllText(Path.Combine(dir, "logits_tokens.txt")).Split(
            ' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
        var bytes = File.ReadAllBytes(Path.Combine(dir, "logits.f32"));
        return (ids, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes).ToArray());
    }
}

// Batch invariance: a token's result must not depend on which other tokens share the call. Prefix reuse and
// continuous batching change how many tokens a step holds, so any dependence would let them change the
// generated text. Each op is run on T rows at once and on every row alone; results must be bitwise equal.
using K2Native.Applications.Synth;
using K2Native.Backends;
using K2Native.Backends.Cpu;
using K2Native.Checkpoint;
using K2Native.Tests.Support;

namespace K2Native.Tests.Backends.Cpu;

public sealed class BatchInvarianceTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    public static TheoryData<SimdWidth> Widths() => new(Simd.Supported());

    [Theory]
    [MemberData(nameof(Widths))]
    public void MatMulRowsDoNotDependOnTheBatch(SimdWidth width)
    {
        var backend = new CpuBackend(width);
        foreach (var (n, k) in new[] { (5, 32), (17, 96), (70, 1000), (33, 2048), (9, 48) })
        {
            using var bf16 = TestMatrix.Bf16(n, k, (ulong)(n + k));
            using var int4 = TestMatrix.Int4(n, k - k % 32 + 32, 32, (ulong)(n * k));
            using var fp8 = TestMatrix.Fp8(n, k, (ulong)(n * k + 1));
            // Normal codes (Vector512's fast decode) with a zero or subnormal planted in some rows' stretches.
            using var fp8Normal = TestMatrix.Fp8(n, k, (ulong)(n * k + 2), normalOnly: true);
            for (int r = 0; r < n; r += 4) fp8Normal.SetCode(r, r * 13 % k, (byte)(r % 8));
            foreach (var w in new[] { bf16.Source, int4.Source, fp8.Source, fp8Normal.Source })
                foreach (int t in new[] { 2, 3, 7, 16, 33 })
                    AssertRowsInvariant(
                        backend,
                        t,
                        w.Cols,
                        (x, y) => backend.MatMul(x, backend.Load(w), y),
                        w.Rows,
                        $"{w.Name} T={t} {width}");
        }
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void RoutedExpertsDoNotDependOnTheBatch(SimdWidth width) => CheckRoutedExperts(width, fp8: false);

    [Theory]
    [MemberData(nameof(Widths))]
    public void RoutedFp8ExpertsDoNotDependOnTheBatch(SimdWidth width) => CheckRoutedExperts(width, fp8: true);

    private void CheckRoutedExperts(SimdWidth width, bool fp8)
    {
        CheckpointFactory.Write(
            _dir.Path, fp8 ? CheckpointFactory.Tiny(a => a with { Quant = SynthQuant.Fp8 }) : null, seed: 21);
        using var checkpoint = K2Checkpoint.Open(_dir.Path);
        var c = checkpoint.Config;
        var backend = new CpuBackend(width);
        var m = checkpoint.Weights.Layers[1].Moe!;
        var moe = new MoeLayer(backend.Load(m.Router), backend.Load(m.CorrectionBias),
            new RouterSettings(
                c.NRoutedExperts,
                c.NumExpertsPerTok,
                c.NGroup,
                c.TopkGroup,
                c.NormTopkProb,
                (float)c.RoutedScalingFactor),
            m.Experts.Select(e => backend.Load(e.Gate)).ToArray(),
            m.Experts.Select(e => backend.Load(e.Up)).ToArray(),
            m.Experts.Select(e => backend.Load(e.Down)).ToArray());
        foreach (int t in new[] { 2, 5, 19 })
            AssertRowsInvariant(backend, t, c.HiddenSize, (x, y) =>
            {
                backend.Clear(y);
                backend.RoutedExperts(x, moe, y);
            }, c.HiddenSize, $"MoE{(fp8 ? " FP8" : "")} T={t} {width}");
    }

    private static void AssertRowsInvariant(
        CpuBackend backend, int t, int inCols, Action<TensorView, TensorView> op, int outCols, string what)
    {
        var input = TestData.RandomFloats(t * inCols, (ulong)(t * 7 + inCols));
        using var x = backend.NewTensor(t, inCols);
        using var y = backend.NewTensor(t, outCols);
        backend.Write(x, input);
        op(x, y);
        var batched = new float[t * outCols];
        backend.Read(y, batched);
        using var x1 = backend.NewTensor(1, inCols);
        using var y1 = backend.NewTensor(1, outCols);
        var alone = new float[outCols];
        for (int r = 0; r < t; r++)
        {
            backend.Write(x1, input.AsSpan(r * inCols, inCols));
            op(x1, y1);
            backend.Read(y1, alone);
            for (int j = 0; j < outCols; j++)
                Assert.True(
                    BitConverter.SingleToInt32Bits(alone[j])
                    == BitConverter.SingleToInt32Bits(batched[r * outCols + j]),
                    $"{what}: row {r} column {j}: {alone[j]:R} alone, {batched[r * outCols + j]:R} in the batch");
        }
    }
}

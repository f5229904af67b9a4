// y = x·W^T for bf16 and INT4 weights against plain double-precision references, with awkward shapes
// (odd token counts, column counts that leave vector tails, INT4 groups of 8..128, K not a multiple of a
// block), every SIMD width, both INT4 activation precisions, and a second run into the same output buffer.
// The int8 path is checked against the exact product of the quantized activations (same rounding rule),
// so its tolerance is tight; its distance from the float32 product is bounded separately.
using K2Native.Backends;
using K2Native.Backends.Cpu;
using K2Native.Tests.Support;

namespace K2Native.Tests.Backends.Cpu;

public sealed unsafe class MatMulTests
{
    public static TheoryData<SimdWidth> Widths() => new(Simd.Supported());

    private static readonly (int T, int N, int K)[] Bf16Shapes =
        [(1, 1, 32), (7, 5, 64), (13, 17, 96), (1, 3, 1), (2, 9, 33), (3, 70, 1000), (5, 1, 7), (1, 513, 48),
         (16, 37, 130), (4, 66, 15)];

    private static readonly (int T, int N, int K, int G)[] Int4Shapes =
        [(1, 1, 32, 32), (7, 5, 64, 32), (13, 17, 96, 32), (2, 3, 128, 32), (3, 9, 136, 8), (1, 33, 256, 128),
         (4, 11, 1056, 32), (1, 70, 2048, 32), (9, 2, 40, 8),
         (3, 9, 160, 32), (1, 35, 224, 32), (16, 19, 416, 32), (5, 130, 7168, 32)];

    [Theory]
    [MemberData(nameof(Widths))]
    public void Bf16MatchesReference(SimdWidth width)
    {
        foreach (var (t, n, k) in Bf16Shapes)
        {
            using var w = TestMatrix.Bf16(n, k, (ulong)(n * k));
            var x = TestData.RandomFloats(t * k, (ulong)(t + k));
            Check(
                w,
                x,
                t,
                Exact(w, x, t),
                Context(width, Int4Activations.Float32),
                1e-5,
                $"bf16 T={t} N={n} K={k} {width}");
        }
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void Int4Float32MatchesReference(SimdWidth width)
    {
        foreach (var (t, n, k, g) in Int4Shapes)
        {
            using var w = TestMatrix.Int4(n, k, g, (ulong)(n * k + g));
            var x = TestData.RandomFloats(t * k, (ulong)(t + k));
            Check(
                w,
                x,
                t,
                Exact(w, x, t),
                Context(width, Int4Activations.Float32),
                1e-5,
                $"int4/f32 T={t} N={n} K={k} group={g} {width}");
        }
    }

    public static TheoryData<SimdWidth, Int4Activations> IntegerPaths()
    {
        var data = new TheoryData<SimdWidth, Int4Activations>();
        foreach (var width in Simd.Supported())
        {
            data.Add(width, Int4Activations.Int8);
            data.Add(width, Int4Activations.Int16);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(IntegerPaths))]
    public void Int4IntegerPathMatchesQuantizedReference(SimdWidth width, Int4Activations activations)
    {
        int terms = activations == Int4Activations.Int16 ? 2 : 1;
        foreach (var (t, n, k, g) in Int4Shapes)
        {
            using var w = TestMatrix.Int4(n, k, g, (ulong)(n * k + g));
            var x = TestData.RandomFloats(t * k, (ulong)(t + k), 3f);
            x[0] = 40f;  // an outlier: only its own group of 32 loses resolution
            var context = Context(width, activations);
            string label = $"int4/{activations} T={t} N={n} K={k} group={g} {width}";
            if (g == 32)
            {
                Check(w, x, t, Exact(w, QuantizeReference(x, terms), t), context, 1e-5, label + " vs quantized");
                Check(w, x, t, Exact(w, x, t), context, terms == 2 ? 2e-4 : 2e-2, label + " vs float");
            }
            else
            {
                Check(w, x, t, Exact(w, x, t), context, 1e-5, label + " (float fallback)");
            }
        }
    }

    [Theory]
    [MemberData(nameof(IntegerPaths))]
    public void Int8ActivationsMatchReferenceLayout(SimdWidth width, Int4Activations activations)
    {
        int terms = activations == Int4Activations.Int16 ? 2 : 1;
        foreach (int k in new[] { 32, 64, 96, 128, 160, 224, 7168 })
        {
            var x = TestData.RandomFloats(3 * k, (ulong)k, 2f);
            for (int i = 0; i < 32; i++) x[k + i] = 0f;  // an all-zero group
            var memory = new byte[Int8Activations.BytesNeeded(3, k, terms) + 64];
            fixed (float* px = x)
            fixed (byte* pm = memory)
            {
                byte* aligned = (byte*)(((nint)pm + 63) & ~(nint)63);
                var q = Int8Activations.Quantize(new StridedView(px, 3, k, k), aligned, terms, width);
                var expected = QuantizeReference(x, terms);
                int first = terms == 2 ? Int8Activations.SecondTermScale : 1;
                for (int r = 0; r < 3; r++)
                {
                    for (int c = 0; c < q.PaddedCols; c++)
                    {
                        int b = c / 2;
                        int value = first * (c % 2 == 0 ? q.EvenRow(r)[b] : q.OddRow(r)[b]);
                        if (terms == 2) value += c % 2 == 0 ? q.Even2Row(r)[b] : q.Odd2Row(r)[b];
                        double actual = value * (double)q.ScaleRow(r)[c / 8];
                        double want = c < k ? expected[r * k + c] : 0;
                        Assert.True(
                            Math.Abs(actual - want) <= 1e-6 * (1 + Math.Abs(want)),
                            $"K={k} row {r} col {c} {activations} {width}: {actual} vs {want}");
                    }
                    for (int word = 0; word < q.PaddedCols / 8; word++)
                    {
                        int sum = 0;
                        for (int i = 0; i < 4; i++)
                        {
                            sum += first * (q.EvenRow(r)[4 * word + i] + q.OddRow(r)[4 * word + i]);
                            if (terms == 2) sum += q.Even2Row(r)[4 * word + i] + q.Odd2Row(r)[4 * word + i];
                        }
                        Assert.Equal(-8 * sum, q.CorrectionRow(r)[word]);
                    }
                }
            }
        }
    }

    /// <summary>
    /// x with each group of 32 replaced by its quantized image: u = x · (127/absmax), q = round_half_even(u),
    /// value q · absmax/127;
    /// with two terms also q2 = round_half_even((u - q) · 254), value (254 q + q2) · absmax/(127 · 254).
    /// </summary>
    internal static float[] QuantizeReference(float[] x, int terms)
    {
        var result = new float[x.Length];
        for (int g0 = 0; g0 < x.Length; g0 += 32)
        {
            float absMax = 0;
            for (int i = 0; i < 32; i++) absMax = Math.Max(absMax, Math.Abs(x[g0 + i]));
            float inverse = absMax > 0 ? 127f / absMax : 0f;
            for (int i = 0; i < 32; i++)
            {
                float u = x[g0 + i] * inverse, q = MathF.Round(u, MidpointRounding.ToEven);
                result[g0 + i] = terms == 1
                    ? (float)(q * (absMax / 127.0))
                    : (float)((254 * q + MathF.Round((u - q) * 254, MidpointRounding.ToEven))
                        * (absMax / (127.0 * 254)));
            }
        }
        return result;
    }

    internal static KernelContext Context(SimdWidth width, Int4Activations activations) =>
        new(width, WorkerPool.Shared, activations);

    private static double[] Exact(TestMatrix w, float[] x, int t)
    {
        int n = w.Rows, k = w.Cols;
        var expected = new double[t * n];
        for (int i = 0; i < t; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int c = 0; c < k; c++) s += (double)x[i * k + c] * w.Dense[j * k + c];
                expected[i * n + j] = s;
            }
        return expected;
    }

    private static void Check(
        TestMatrix w, float[] x, int t, double[] expected, KernelContext context, double tolerance, string label)
    {
        int n = w.Rows, k = w.Cols;
        var y = new float[t * (n + 3)];
        fixed (float* px = x, py = y)
        {
            var output = new StridedView(py + 1, t, n, n + 3);
            for (int run = 0; run < 2; run++)
            {
                MatMulKernel.Run(new StridedView(px, t, k, k), w.Source, output, context);
                var actual = new float[t * n];
                for (int i = 0; i < t; i++) new ReadOnlySpan<float>(output.Row(i), n).CopyTo(actual.AsSpan(i * n, n));
                double err = TestData.RelativeL2(actual, expected);
                Assert.True(err < tolerance, $"{label} run {run}: relative L2 {err:E2} (tolerance {tolerance:E0})");
            }
            for (int i = 0; i < t; i++)
            {
                Assert.Equal(0f, y[i * (n + 3)]);
                Assert.Equal(0f, y[i * (n + 3) + n + 1]);
                Assert.Equal(0f, y[i * (n + 3) + n + 2]);
            }
        }
    }
}

// FP8 e4m3fn: every one of the 256 codes decoded (scalar table, Vector512 and Vector256 bodies) against the
// format's definition, the rounding used by `k2 synth`, and y = x·W^T over block-scaled FP8 weights against a
// double-precision product of the dequantized matrix: awkward shapes (partial 128-blocks in both dimensions,
// column counts 1..300 that leave every vector tail, odd token counts), every SIMD width, a second run into
// the same caller-provided buffer.
using System.Runtime.Intrinsics;
using K2Native.Backends;
using K2Native.Backends.Cpu;
using K2Native.Numerics;
using K2Native.Tests.Support;

namespace K2Native.Tests.Backends.Cpu;

public sealed unsafe class Fp8KernelTests
{
    public static TheoryData<SimdWidth> Widths() => new(Simd.Supported());

    private static readonly (int T, int N, int K)[] Shapes =
        [(1, 1, 16), (1, 1, 1), (7, 5, 64), (13, 17, 96), (2, 130, 200), (3, 129, 129), (1, 257, 576),
         (5, 64, 7168 / 4),
         (16, 37, 130), (4, 66, 15),
         (1, 300, 2048), (2, 576, 256), (9, 3, 383)];

    [Fact]
    public void EveryCodeDecodesExactly()
    {
        for (int code = 0; code < 256; code++)
        {
            double expected = Fp8Reference.Value((byte)code);
            float actual = Fp8E4M3.ToFloat((byte)code);
            if (double.IsNaN(expected))
            {
                Assert.True(float.IsNaN(actual) && Fp8E4M3.IsNaN((byte)code), $"code 0x{code:X2} is NaN");
                continue;
            }
            Assert.False(Fp8E4M3.IsNaN((byte)code), $"code 0x{code:X2} is not NaN");
            Assert.True(expected == actual, $"code 0x{code:X2}: {actual} vs {expected}");
            Assert.Equal(actual, Fp8E4M3.Table[code]);
        }
        Assert.Equal(448f, Fp8E4M3.ToFloat(0x7E));
        Assert.Equal(-448f, Fp8E4M3.ToFloat(0xFE));
        Assert.Equal(1f, Fp8E4M3.ToFloat(0x38));
        Assert.Equal(MathF.ScaleB(1, -9), Fp8E4M3.ToFloat(0x01));
        Assert.Equal(MathF.ScaleB(1, -6), Fp8E4M3.ToFloat(0x08));
        Assert.True(float.IsNaN(Fp8E4M3.ToFloat(0x7F)) && float.IsNaN(Fp8E4M3.ToFloat(0xFF)));
    }

    [Fact]
    public void VectorDecodeMatchesEveryCode()
    {
        if (!Simd.Supported().Contains(SimdWidth.V512)) return;
        var codes = Enumerable.Range(0, 256).Select(c => (sbyte)c).ToArray();
        fixed (sbyte* p = codes)
        {
            for (int first = 0; first < 256; first += 16)
            {
                var decoded = Fp8V512.Decode(Vector128.Load(p + first)) * Fp8V512.Unscale;
                for (int i = 0; i < 16; i++)
                {
                    int code = first + i;
                    if (Fp8E4M3.IsNaN((byte)code)) continue;
                    Assert.True(
                        decoded[i] == Fp8Reference.Value((byte)code),
                        $"V512 code 0x{code:X2}: {decoded[i]} vs {Fp8Reference.Value((byte)code)}");
                }
            }
        }
    }

    [Fact]
    public void FastDecodesGiveEveryCodeTimesTwoToTheMinus120()
    {
        if (!Simd.Supported().Contains(SimdWidth.V512)) return;
        Assert.Equal(Fp8V512.Down, MathF.ScaleB(1, -112));
        if (Fp8PermuteDecode.IsSupported) CheckFastDecode(Fp8PermuteDecode.Create(), "permute");
        CheckFastDecode(Fp8ShiftDecode.Create(), "shift");
        CheckFastDecode(Fp8ShiftUncheckedDecode.Create(), "shift, unchecked");
    }

    private static void CheckFastDecode<TDecode>(TDecode decoder, string name)
        where TDecode : struct, IFp8Decode<TDecode>
    {
        var codes = Enumerable.Range(0, 256).Select(c => (byte)c).ToArray();
        fixed (byte* p = codes)
        {
            for (int first = 0; first < 256; first += 16)
            {
                var decoded = decoder.Decode16(p + first);
                for (int i = 0; i < 16; i++)
                {
                    int code = first + i;
                    if (Fp8E4M3.IsNaN((byte)code)) continue;
                    // Subnormal codes come out as denormal floats (exact too).
                    double expected = Fp8Reference.Value((byte)code) * Math.ScaleB(1.0, -120);
                    Assert.True(decoded[i] == expected, $"{name} code 0x{code:X2}: {decoded[i]} vs {expected}");
                    Assert.Equal(code >= 0x80, float.IsNegative(decoded[i]));
                }
            }
        }
    }

    [Fact]
    public void EveryDecoderAndRowGroupingGivesTheSameBits()
    {
        // The three Vector512 decoders (only one runs in production on a given CPU), rows in eight-row passes or
        // alone, one token or four sharing each decoded weight: the same products in the same order, so bitwise the
        // same results; and within the float32 tolerance of the dequantized product. Exponent-0 codes are planted in
        // some stretches (the exact step where the decoder checks, denormal operands where it does not), and the
        // shapes leave partial blocks, partial 64-code stretches and masked tails.
        if (!Simd.Supported().Contains(SimdWidth.V512)) return;
        foreach (var (n, k) in new[] { (37, 640), (19, 200), (64, 7168 / 4), (9, 15), (130, 576) })
        {
            using var w = TestMatrix.Fp8(n, k, (ulong)(n * k + 7), normalOnly: true);
            for (int r = 0; r < n; r += 3)
                for (int c = r * 7 % 64; c < k; c += 64 * (1 + r % 3))
                    w.SetCode(r, c, (byte)((r + c) % 8 | (c % 128 == 0 ? 0x80 : 0)));
            const int tokens = 5;
            var x = TestData.RandomFloats(tokens * k, (ulong)k);
            float[]? first = null;
            var runs = new List<(string, Func<TestMatrix, float[], int, float[]>)>
            {
                ("shift", Run<Fp8ShiftDecode>), ("shift, unchecked", Run<Fp8ShiftUncheckedDecode>),
                ("shift, one row at a time", RunRowByRow<Fp8ShiftDecode>),
            };
            if (Fp8PermuteDecode.IsSupported) runs.Add(("permute", Run<Fp8PermuteDecode>));
            foreach (var (name, run) in runs)
            {
                var y = run(w, x, tokens);
                first ??= y;
                for (int i = 0; i < y.Length; i++)
                    Assert.True(
                        BitConverter.SingleToInt32Bits(y[i]) == BitConverter.SingleToInt32Bits(first[i]),
                        $"[{n}x{k}] {name}: output {i} {y[i]} vs {first[i]}");
                var expected = new double[tokens * n];
                for (int t = 0; t < tokens; t++)
                    for (int j = 0; j < n; j++)
                        for (int c = 0; c < k; c++)
                            expected[t * n + j] += (double)x[t * k + c] * w.Dense[j * k + c];
                double err = TestData.RelativeL2(y, expected);
                Assert.True(err < 1e-5, $"[{n}x{k}] {name}: relative L2 {err:E2}");
            }
        }
    }

    /// <summary>y [tokens, rows] through RowsTokens: four tokens share each decoded weight, the fifth alone.</summary>
    private static float[] Run<TDecode>(TestMatrix w, float[] x, int tokens) where TDecode : struct, IFp8Decode<TDecode>
    {
        var y = new float[tokens * w.Rows];
        fixed (float* px = x, py = y)
        {
            float** xs = stackalloc float*[tokens];
            float** ys = stackalloc float*[tokens];
            for (int t = 0; t < tokens; t++)
            {
                xs[t] = px + t * w.Cols;
                ys[t] = py + t * w.Rows;
            }
            Fp8Kernel.RowsTokens<Fp8V512<TDecode>>(new Fp8Rows(w.Source), 0, w.Rows, xs, ys, tokens);
        }
        return y;
    }

    /// <summary>y [tokens, rows], one row and one token per call (Row: no eight-row pass, no token tile).</summary>
    private static float[] RunRowByRow<TDecode>(TestMatrix w, float[] x, int tokens)
        where TDecode : struct, IFp8Decode<TDecode>
    {
        var y = new float[tokens * w.Rows];
        fixed (float* px = x, py = y)
            for (int t = 0; t < tokens; t++)
                for (int r = 0; r < w.Rows; r++)
                    Fp8Kernel.Rows<Fp8V512<TDecode>>(
                        new Fp8Rows(w.Source), r, r + 1, px + t * w.Cols, py + t * w.Rows + r);
        return y;
    }

    [Theory]
    [InlineData(1f, 112)]
    [InlineData(16383f, 112)]
    [InlineData(32768f, 111)]
    [InlineData(1e30f, 27)]
    [InlineData(3e38f, -1)]
    [InlineData(1e-30f, 112)]
    [InlineData(0f, 112)]
    [InlineData(float.PositiveInfinity, 112)]
    [InlineData(float.NaN, 112)]
    public void ScaledInputKeepsTheLargestValueFinite(float largest, int k)
    {
        if (!Simd.Supported().Contains(SimdWidth.V512)) return;
        foreach (int n in new[] { 1, 15, 16, 37, 300 })
        {
            var x = TestData.RandomFloats(n, (ulong)n);
            x[n / 2] = -largest;
            var dst = new float[n];
            fixed (float* px = x, pd = dst)
            {
                float u = Fp8V512.ScaleInput(px, n, pd);
                Assert.Equal(MathF.ScaleB(1, 120 - k), u);
                for (int i = 0; i < n; i++)
                {
                    float expected = x[i] * MathF.ScaleB(1, k);
                    Assert.True(
                        dst[i].Equals(expected), $"n={n} largest {largest}: x[{i}]={x[i]} scaled {dst[i]} vs {expected}");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void HugeAndTinyActivationsStayExact(SimdWidth width)
    {
        // Activation rows far from 1: the scaled input moves k down for the huge ones; the tiny ones stay at k = 112.
        foreach (float magnitude in new[] { 1e-20f, 3e-5f, 7e4f, 2e9f, 1e25f })
        {
            using var w = TestMatrix.Fp8(70, 300, 5, normalOnly: true);
            var x = TestData.RandomFloats(5 * 300, 11).Select(v => v * magnitude).ToArray();
            Check(w, x, 5, width, $"fp8 |x| ~ {magnitude} {width}");
        }
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void SubnormalAndZeroCodesInEveryStretch(SimdWidth width)
    {
        // Every 64-code stretch of some rows holds a zero or subnormal code (the slow step), others none (the fast
        // decode), in the same block and the same call, with 1 to 4 tokens.
        using var w = TestMatrix.Fp8(37, 640, 21, normalOnly: true);
        for (int r = 0; r < 37; r += 3)
            for (int c = (r * 7) % 64; c < 640; c += 64)
            {
                byte code = (byte)((r + c) % 8 | (c % 128 == 0 ? 0x80 : 0));
                w.SetCode(r, c, code);
            }
        for (int t = 1; t <= 5; t++)
        {
            var x = TestData.RandomFloats(t * 640, (ulong)t);
            Check(w, x, t, width, $"fp8 subnormal stretches T={t} {width}");
        }
    }

    [Fact]
    public void OneHotProductsDecodeEveryCodeAtEveryWidth()
    {
        // A [256, 16] matrix whose row r holds code r in column r % 16 (a NaN code becomes 0): y = W·e_j picks single
        // codes,
        // through every width's decode including the subnormal branch in vectors that hold only some subnormal codes.
        const int rows = 256, cols = 16;
        var codes = new byte[rows * cols];
        for (int r = 0; r < rows; r++) codes[r * cols + r % cols] = Fp8E4M3.IsNaN((byte)r) ? (byte)0 : (byte)r;
        var scales = new float[2];
        scales[0] = scales[1] = 1f;
        fixed (byte* pc = codes)
        fixed (float* ps = scales)
        {
            var w = K2Native.Checkpoint.MatrixSource.FromFp8("one-hot", rows, cols, pc, ps);
            foreach (var width in Simd.Supported())
            {
                var x = new float[cols];
                var y = new float[rows];
                for (int j = 0; j < cols; j++)
                {
                    Array.Clear(x);
                    x[j] = 1f;
                    fixed (float* px = x, py = y)
                        MatMulKernel.Run(
                            new StridedView(px, 1, cols, cols),
                            w,
                            new StridedView(py, 1, rows, rows),
                            MatMulTests.Context(width, Int4Activations.Float32));
                    for (int r = j; r < rows; r += cols)
                    {
                        double expected = Fp8E4M3.IsNaN((byte)r) ? 0 : Fp8Reference.Value((byte)r);
                        Assert.True(y[r] == expected, $"{width} code 0x{r:X2}: {y[r]} vs {expected}");
                    }
                }
            }
        }
    }

    [Fact]
    public void RoundingToE4M3IsNearestEvenAndSaturates()
    {
        for (int code = 0; code < 256; code++)
            if (!Fp8E4M3.IsNaN((byte)code) && code != 0x80)
                Assert.Equal((byte)code, Fp8E4M3.FromFloat(Fp8E4M3.ToFloat((byte)code)));
        Assert.Equal(0x38, Fp8E4M3.FromFloat(1.0625f));       // halfway between 1 and 1.125: even mantissa 0
        Assert.Equal(0x3A, Fp8E4M3.FromFloat(1.1875f));       // halfway between 1.125 and 1.25: even mantissa 2
        Assert.Equal(0x00, Fp8E4M3.FromFloat(MathF.ScaleB(1, -10)));  // half the smallest subnormal rounds to even 0
        Assert.Equal(0x02, Fp8E4M3.FromFloat(MathF.ScaleB(3, -10)));  // 1.5 subnormal steps -> 2
        Assert.Equal(0x08, Fp8E4M3.FromFloat(MathF.ScaleB(15, -10))); // 7.5 steps rounds up into the first normal
        Assert.Equal(0x7E, Fp8E4M3.FromFloat(1e9f));
        Assert.Equal(0xFE, Fp8E4M3.FromFloat(float.NegativeInfinity));
        Assert.Equal(0x7F, Fp8E4M3.FromFloat(float.NaN));
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void MatMulMatchesDequantizedReference(SimdWidth width)
    {
        foreach (var (t, n, k) in Shapes)
        {
            using var w = TestMatrix.Fp8(n, k, (ulong)(n * k + 3));
            var x = TestData.RandomFloats(t * k, (ulong)(t + k));
            Check(w, x, t, width, $"fp8 T={t} N={n} K={k} {width}");
        }
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void MatMulOfNormalCodesMatchesDequantizedReference(SimdWidth width)
    {
        // Without exponent-0 codes every full 64-code stretch takes Vector512's fast decode.
        foreach (var (t, n, k) in Shapes)
        {
            using var w = TestMatrix.Fp8(n, k, (ulong)(n * k + 5), normalOnly: true);
            var x = TestData.RandomFloats(t * k, (ulong)(t + k + 1));
            Check(w, x, t, width, $"fp8 normal codes T={t} N={n} K={k} {width}");
        }
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void EveryColumnCountUpTo300(SimdWidth width)
    {
        for (int k = 1; k <= 300; k++)
        {
            using var w = TestMatrix.Fp8(5, k, (ulong)k);
            var x = TestData.RandomFloats(2 * k, (ulong)(k + 1));
            Check(w, x, 2, width, $"fp8 T=2 N=5 K={k} {width}");
        }
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void DequantizedRowsMatchReference(SimdWidth width)
    {
        using var w = TestMatrix.Fp8(131, 200, 9);
        var row = new float[200];
        fixed (float* p = row)
        {
            foreach (int r in new[] { 0, 127, 128, 130 })
            {
                WeightRows.Read(w.Source, r, p, width);
                for (int c = 0; c < 200; c++)
                    Assert.True(row[c] == w.Dense[r * 200 + c], $"row {r} col {c}: {row[c]} vs {w.Dense[r * 200 + c]}");
            }
        }
    }

    private static void Check(TestMatrix w, float[] x, int t, SimdWidth width, string label)
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
        var y = new float[t * (n + 3)];
        fixed (float* px = x, py = y)
        {
            var output = new StridedView(py + 1, t, n, n + 3);
            for (int run = 0; run < 2; run++)
            {
                MatMulKernel.Run(
                    new StridedView(px, t, k, k),
                    w.Source,
                    output,
                    MatMulTests.Context(width, Int4Activations.Float32));
                var actual = new float[t * n];
                for (int i = 0; i < t; i++) new ReadOnlySpan<float>(output.Row(i), n).CopyTo(actual.AsSpan(i * n, n));
                double err = TestData.RelativeL2(actual, expected);
                Assert.True(err < 1e-5, $"{label} run {run}: relative L2 {err:E2}");
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

// Activation rows quantized for the INT4 x int8 kernels (Int4Int8Kernel.cs), llama.cpp's Q8_0 idea in the
// layout those kernels read without shuffling the weights. Per group of 32 columns, u = x · 127 / absmax:
//   one term:  q = round(u), x ≈ q · absmax/127                         (about 1% error in a product)
//   two terms: q = round(u), q2 = round((u - q) · 254), x ≈ (254 q + q2) · absmax/(127·254)
//              (an int16-grade value split into two int8 planes; about 1e-4 error)
// and for each plane: Even[b] = q[2b], Odd[b] = q[2b+1], the columns that the low and high nibbles of
// packed byte b hold. Correction[w] folds the INT4 offset (value = nibble - 8) of packed word w (8 columns):
// -8 · Σ q, or -8 · (254 Σ q + Σ q2). Scale[w] is the group's scale, repeated per word for vector loads.
// Rows are padded with zeros to a multiple of Block columns, so kernels may run whole vectors past the end.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace K2Native.Backends.Cpu;

internal readonly unsafe struct Int8Activations
{
    /// <summary>Columns per activation scale (and the INT4 weight group the int8 kernels accept).</summary>
    public const int Group = 32;

    /// <summary>Rows are padded to this many columns: one Vector512 block of packed INT4 (64 bytes).</summary>
    public const int Block = 128;

    /// <summary>Weight of the first plane relative to the second in the two-term form.</summary>
    public const int SecondTermScale = 254;

    private Int8Activations(byte* memory, int rows, int cols, int terms)
    {
        Rows = rows;
        Cols = cols;
        Terms = terms;
        PaddedCols = (cols + Block - 1) / Block * Block;
        long plane = (long)rows * PaddedCols / 2;
        Even = (sbyte*)memory;
        Odd = Even + plane;
        Even2 = terms == 2 ? Odd + plane : null;
        Odd2 = terms == 2 ? Even2 + plane : null;
        Correction = (int*)(Odd + (2 * terms - 1) * plane);
        Scale = (float*)(Correction + (long)rows * PaddedCols / 8);
    }

    public int Rows { get; }

    public int Cols { get; }

    /// <summary>1 (int8) or 2 (two int8 planes, int16-grade).</summary>
    public int Terms { get; }

    public int PaddedCols { get; }

    public sbyte* Even { get; }

    public sbyte* Odd { get; }

    public sbyte* Even2 { get; }

    public sbyte* Odd2 { get; }

    public int* Correction { get; }

    public float* Scale { get; }

    public sbyte* EvenRow(int r) => Even + (long)r * PaddedCols / 2;

    public sbyte* OddRow(int r) => Odd + (long)r * PaddedCols / 2;

    public sbyte* Even2Row(int r) => Even2 + (long)r * PaddedCols / 2;

    public sbyte* Odd2Row(int r) => Odd2 + (long)r * PaddedCols / 2;

    public int* CorrectionRow(int r) => Correction + (long)r * PaddedCols / 8;

    public float* ScaleRow(int r) => Scale + (long)r * PaddedCols / 8;

    /// <summary>
    /// Scratch bytes for <paramref name="rows"/> rows of <paramref name="cols"/> columns in
    /// <paramref name="terms"/> planes.
    /// </summary>
    public static long BytesNeeded(int rows, int cols, int terms)
    {
        long padded = (cols + Block - 1) / Block * Block;
        return rows * (terms * padded + padded / 8 * (sizeof(int) + sizeof(float)));
    }

    /// <summary>
    /// Quantizes rows of x (x.Cols a multiple of <see cref="Group"/>) into <paramref name="memory"/> (64-byte aligned,
    /// BytesNeeded long).
    /// </summary>
    public static Int8Activations Quantize(StridedView x, byte* memory, int terms, SimdWidth width)
    {
        var q = Create(memory, x.Rows, x.Cols, terms);
        for (int r = 0; r < x.Rows; r++)
        {
            q.QuantizeGroups(x.Row(r), r, 0, x.Cols / Group, width);
            q.ClearPadding(r);
        }
        return q;
    }

    /// <summary>
    /// The layout over <paramref name="memory"/>, rows not yet filled (QuantizeGroups, ClearPadding).
    /// </summary>
    public static Int8Activations Create(byte* memory, int rows, int cols, int terms)
    {
        if (cols % Group != 0)
            throw new ArgumentException($"int8 activations need a multiple of {Group} columns, got {cols}");
        if (terms is not (1 or 2))
            throw new ArgumentOutOfRangeException(nameof(terms), $"int8 activations have 1 or 2 terms, not {terms}");
        return new Int8Activations(memory, rows, cols, terms);
    }

    /// <summary>
    /// Quantizes groups [first, first + count) of row r from <paramref name="x"/> (the row's column 0).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void QuantizeGroups(float* x, int r, int first, int count, SimdWidth width)
    {
        sbyte* even = EvenRow(r), odd = OddRow(r);
        sbyte* even2 = Terms == 2 ? Even2Row(r) : null, odd2 = Terms == 2 ? Odd2Row(r) : null;
        float* scale = ScaleRow(r);
        float unit = Terms == 2 ? 127f * SecondTermScale : 127f;
        for (int g = first; g < first + count; g++)
        {
            float* xg = x + g * Group;
            int at = g * Group / 2;
            float absMax = width == SimdWidth.V512 ? AbsMax512(xg)
                : width == SimdWidth.V256 ? AbsMax256(xg)
                : AbsMaxScalar(xg);
            float inverse = absMax > 0 ? 127f / absMax : 0f;
            if (width == SimdWidth.V512)
                Split512(
                    xg, inverse, even + at, odd + at,
                    even2 == null ? null : even2 + at, odd2 == null ? null : odd2 + at);
            else if (width == SimdWidth.V256)
                Split256(
                    xg, inverse, even + at, odd + at,
                    even2 == null ? null : even2 + at, odd2 == null ? null : odd2 + at);
            else
                SplitScalar(
                    xg, inverse, even + at, odd + at,
                    even2 == null ? null : even2 + at, odd2 == null ? null : odd2 + at);
            Vector128.Create(absMax / unit).Store(scale + g * 4);
        }
        Correct(r, first * 4, count * 4, width);
    }

    /// <summary>Zeroes row r past Cols, so kernels may read whole blocks.</summary>
    public void ClearPadding(int r)
    {
        int pad = PaddedCols - Cols;
        if (pad == 0) return;
        new Span<sbyte>(EvenRow(r) + Cols / 2, pad / 2).Clear();
        new Span<sbyte>(OddRow(r) + Cols / 2, pad / 2).Clear();
        if (Terms == 2)
        {
            new Span<sbyte>(Even2Row(r) + Cols / 2, pad / 2).Clear();
            new Span<sbyte>(Odd2Row(r) + Cols / 2, pad / 2).Clear();
        }
        new Span<int>(CorrectionRow(r) + Cols / 8, pad / 8).Clear();
        new Span<float>(ScaleRow(r) + Cols / 8, pad / 8).Clear();
    }

    /// <summary>
    /// Correction[w] for words [first, first + count): bytes 4w..4w+3 of each plane are word w's values.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Correct(int r, int first, int count, SimdWidth width)
    {
        int* correction = CorrectionRow(r) + first;
        sbyte* even = EvenRow(r) + 4 * first, odd = OddRow(r) + 4 * first;
        sbyte* even2 = Terms == 2 ? Even2Row(r) + 4 * first : null, odd2 = Terms == 2 ? Odd2Row(r) + 4 * first : null;
        short first16 = (short)(Terms == 2 ? -8 * SecondTermScale : -8);
        int w = 0;
        if (width == SimdWidth.V512)
        {
            for (; w + 16 <= count; w += 16)
            {
                var sums = Avx512BW.MultiplyAddAdjacent(
                    PairSums512(even + 4 * w, odd + 4 * w), Vector512.Create(first16));
                if (Terms == 2)
                    sums += Avx512BW.MultiplyAddAdjacent(
                        PairSums512(even2 + 4 * w, odd2 + 4 * w), Vector512.Create((short)-8));
                sums.Store(correction + w);
            }
        }
        else if (width == SimdWidth.V256)
        {
            for (; w + 8 <= count; w += 8)
            {
                var sums = Avx2.MultiplyAddAdjacent(PairSums256(even + 4 * w, odd + 4 * w), Vector256.Create(first16));
                if (Terms == 2)
                    sums += Avx2.MultiplyAddAdjacent(
                        PairSums256(even2 + 4 * w, odd2 + 4 * w), Vector256.Create((short)-8));
                sums.Store(correction + w);
            }
        }
        for (; w < count; w++)
        {
            int sum = 0, sum2 = 0;
            for (int i = 0; i < 4; i++)
            {
                sum += even[4 * w + i] + odd[4 * w + i];
                if (Terms == 2) sum2 += even2[4 * w + i] + odd2[4 * w + i];
            }
            correction[w] = first16 * sum - 8 * sum2;
        }
    }

    /// <summary>int16 lane i = even[2i] + even[2i+1] + odd[2i] + odd[2i+1].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<short> PairSums512(sbyte* even, sbyte* odd) =>
        Avx512BW.MultiplyAddAdjacent(Vector512<byte>.One, Vector512.Load(even))
        + Avx512BW.MultiplyAddAdjacent(Vector512<byte>.One, Vector512.Load(odd));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> PairSums256(sbyte* even, sbyte* odd) =>
        Avx2.MultiplyAddAdjacent(Vector256<byte>.One, Vector256.Load(even))
        + Avx2.MultiplyAddAdjacent(Vector256<byte>.One, Vector256.Load(odd));

    private static float AbsMaxScalar(float* x)
    {
        float m = 0;
        for (int i = 0; i < Group; i++) m = MathF.Max(m, MathF.Abs(x[i]));
        return m;
    }

    /// <summary>Round half to even, as the vector conversions (vcvtps2dq, vrndscaleps) do.</summary>
    private static void SplitScalar(float* x, float inverse, sbyte* even, sbyte* odd, sbyte* even2, sbyte* odd2)
    {
        for (int c = 0; c < Group; c++)
        {
            float u = x[c] * inverse, q = MathF.Round(u);
            (c % 2 == 0 ? even : odd)[c / 2] = (sbyte)(int)q;
            if (even2 != null) (c % 2 == 0 ? even2 : odd2)[c / 2] = (sbyte)(int)MathF.Round((u - q) * SecondTermScale);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float AbsMax512(float* x)
    {
        var m = Vector512.Max(Vector512.Abs(Vector512.Load(x)), Vector512.Abs(Vector512.Load(x + 16)));
        var h = Vector256.Max(m.GetLower(), m.GetUpper());
        return HorizontalMax(Vector128.Max(h.GetLower(), h.GetUpper()));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float AbsMax256(float* x)
    {
        var m = Vector256.Max(Vector256.Max(Vector256.Abs(Vector256.Load(x)), Vector256.Abs(Vector256.Load(x + 8))),
                              Vector256.Max(
                                  Vector256.Abs(Vector256.Load(x + 16)), Vector256.Abs(Vector256.Load(x + 24))));
        return HorizontalMax(Vector128.Max(m.GetLower(), m.GetUpper()));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float HorizontalMax(Vector128<float> v)
    {
        v = Vector128.Max(v, Vector128.Shuffle(v, Vector128.Create(2, 3, 0, 1)));
        v = Vector128.Max(v, Vector128.Shuffle(v, Vector128.Create(1, 0, 3, 2)));
        return v.ToScalar();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Split512(float* x, float inverse, sbyte* even, sbyte* odd, sbyte* even2, sbyte* odd2)
    {
        var s = Vector512.Create(inverse);
        var ua = Vector512.Load(x) * s;
        var ub = Vector512.Load(x + 16) * s;
        var qa = Vector512.Round(ua);
        var qb = Vector512.Round(ub);
        Deinterleave512(Avx512F.ConvertToVector512Int32(qa), Avx512F.ConvertToVector512Int32(qb), even, odd);
        if (even2 == null) return;
        var k = Vector512.Create((float)SecondTermScale);
        Deinterleave512(
            Avx512F.ConvertToVector512Int32((ua - qa) * k),
            Avx512F.ConvertToVector512Int32((ub - qb) * k),
            even2,
            odd2);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Deinterleave512(Vector512<int> a, Vector512<int> b, sbyte* even, sbyte* odd)
    {
        var evenIndex = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        Avx512F.ConvertToVector128SByte(Avx512F.PermuteVar16x32x2(a, evenIndex, b)).Store(even);
        Avx512F.ConvertToVector128SByte(Avx512F.PermuteVar16x32x2(a, evenIndex + Vector512<int>.One, b)).Store(odd);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Split256(float* x, float inverse, sbyte* even, sbyte* odd, sbyte* even2, sbyte* odd2)
    {
        var s = Vector256.Create(inverse);
        var k = Vector256.Create((float)SecondTermScale);
        var u0 = Vector256.Load(x) * s;
        var u1 = Vector256.Load(x + 8) * s;
        var u2 = Vector256.Load(x + 16) * s;
        var u3 = Vector256.Load(x + 24) * s;
        var q0 = Vector256.Round(u0);
        var q1 = Vector256.Round(u1);
        var q2 = Vector256.Round(u2);
        var q3 = Vector256.Round(u3);
        Deinterleave256(
            Avx.ConvertToVector256Int32(q0),
            Avx.ConvertToVector256Int32(q1),
            Avx.ConvertToVector256Int32(q2),
            Avx.ConvertToVector256Int32(q3),
            even,
            odd);
        if (even2 == null) return;
        Deinterleave256(Avx.ConvertToVector256Int32((u0 - q0) * k), Avx.ConvertToVector256Int32((u1 - q1) * k),
            Avx.ConvertToVector256Int32((u2 - q2) * k), Avx.ConvertToVector256Int32((u3 - q3) * k), even2, odd2);
    }

    /// <summary>
    /// Within each vector, evens to the low half and odds to the high half; then pair halves up and narrow to bytes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Deinterleave256(
        Vector256<int> v0, Vector256<int> v1, Vector256<int> v2, Vector256<int> v3, sbyte* even, sbyte* odd)
    {
        var order = Vector256.Create(0, 2, 4, 6, 1, 3, 5, 7);
        v0 = Avx2.PermuteVar8x32(v0, order);
        v1 = Avx2.PermuteVar8x32(v1, order);
        v2 = Avx2.PermuteVar8x32(v2, order);
        v3 = Avx2.PermuteVar8x32(v3, order);
        var e = Vector256.Narrow(Avx2.Permute2x128(v0, v1, 0x20), Avx2.Permute2x128(v2, v3, 0x20));
        var o = Vector256.Narrow(Avx2.Permute2x128(v0, v1, 0x31), Avx2.Permute2x128(v2, v3, 0x31));
        Vector128.Narrow(e.GetLower(), e.GetUpper()).Store(even);
        Vector128.Narrow(o.GetLower(), o.GetUpper()).Store(odd);
    }
}

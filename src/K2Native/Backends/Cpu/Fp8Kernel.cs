// Dot products of FP8 e4m3fn weight rows (DeepSeek-V3 block format, read in place: 1 byte per weight plus one
// float32 scale per 128x128 block) with float32 activation rows. Within a block the decoded codes are dotted
// with x in float32 and the block's sum is multiplied by its scale once.
// Decoding, 16 weights at a time (Vector512) or 8 (Vector256): the sign-extended code shifted left by 20 puts
// the sign at bit 31 and exponent/mantissa at bits 23..26/20..22 of a float32. Vector256 adds 120 to the
// exponent field (bias 7 -> 127), which gives every normal code exactly. Vector512 saves that add: it ORs 112
// into the exponent's upper bits (they never overlap the code's 4 exponent bits, so one vpternlogd does the mask
// and the OR), which gives every normal code exactly times 2^-8; the block's sum is multiplied by 256 (exact)
// before its scale. Subnormal codes (exponent 0, zero included) take one more exact step, only in vectors that
// hold one (rare in real weights). NaN codes (0x7F, 0xFF) never reach
// here: the loader rejects them (WeightBinder.CheckFp8Codes). Tests: tests/K2Native.Tests/Cpu/Fp8KernelTests.cs.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using K2Native.Checkpoint;
using K2Native.Numerics;

namespace K2Native.Backends.Cpu;

/// <summary>An FP8 matrix as the row kernels read it.</summary>
internal readonly unsafe struct Fp8Rows(MatrixSource w)
{
    public byte* Codes { get; } = (byte*)w.Data;

    public float* Scales { get; } = w.BlockScales;

    public int Cols { get; } = w.Cols;

    public int BlockCols { get; } = w.BlockColCount;

    public byte* Row(int r) => Codes + (long)r * Cols;

    /// <summary>The scales of row r's blocks.</summary>
    public float* ScaleRow(int r) => Scales + (long)(r / MatrixSource.Fp8Block) * BlockCols;
}

/// <summary>The FP8 row kernels at one vector width.</summary>
internal unsafe interface IFp8Op
{
    /// <summary>y[i·stride] = row r + i·stride of w dotted with x, i = 0..3.</summary>
    static abstract void Rows4(Fp8Rows w, int r, int stride, float* x, float* y);

    /// <summary>Row r of w dotted with x.</summary>
    static abstract float Row(Fp8Rows w, int r, float* x);

    /// <summary>
    /// y[k][oa] = row ra · x[k] and y[k][ob] = row rb · x[k] for four tokens k, each dot bitwise equal to Row's
    /// (a token's result never depends on the others in the call).
    /// </summary>
    static virtual void Rows2Tokens4(Fp8Rows w, int ra, int rb, float** x, float** y, int oa, int ob)
    {
        throw new NotSupportedException();
    }

    /// <summary>True when Rows2Tokens4 decodes each weight once for the four tokens.</summary>
    static virtual bool TokenTiles => false;
}

internal static unsafe class Fp8Kernel
{
    private const int Block = MatrixSource.Fp8Block;

    /// <summary>
    /// y[n - n0] = row n of w · x, n in [n0, n1), four sequential streams at a time (see MatMulKernel).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Rows<TOp>(Fp8Rows w, int n0, int n1, float* x, float* y) where TOp : IFp8Op
    {
        int m = (n1 - n0) / 4;
        for (int i = 0; i < m; i++) TOp.Rows4(w, n0 + i, m, x, y + i);
        for (int n = n0 + 4 * m; n < n1; n++) y[n - n0] = TOp.Row(w, n, x);
    }

    /// <summary>
    /// y[k][n - n0] = row n of w · x[k] for count tokens k, n in [n0, n1). Where the width has token tiles, four
    /// tokens at a time share each decoded weight (two rows half the range apart, so two sequential streams).
    /// </summary>
    public static void RowsTokens<TOp>(Fp8Rows w, int n0, int n1, float** x, float** y, int count) where TOp : IFp8Op
    {
        int k = 0;
        if (TOp.TokenTiles)
        {
            int m = (n1 - n0) / 2;
            for (; k + 4 <= count; k += 4)
            {
                for (int i = 0; i < m; i++) TOp.Rows2Tokens4(w, n0 + i, n0 + m + i, x + k, y + k, i, m + i);
                if (n0 + 2 * m < n1)
                    for (int j = k; j < k + 4; j++) y[j][n1 - 1 - n0] = TOp.Row(w, n1 - 1, x[j]);
            }
        }
        for (; k < count; k++) Rows<TOp>(w, n0, n1, x[k], y[k]);
    }

    /// <summary>dst[0..Cols) = row r of w dequantized (exact products code · scale).</summary>
    public static void DequantizeRow(Fp8Rows w, int r, float* dst)
    {
        byte* row = w.Row(r);
        float* scales = w.ScaleRow(r);
        for (int c = 0; c < w.Cols; c++) dst[c] = Fp8E4M3.ToFloat(row[c]) * scales[c / Block];
    }

    /// <summary>The scalar dot of one row, block by block as the vector bodies do.</summary>
    public static float ScalarRow(Fp8Rows w, int r, float* x, int from = 0)
    {
        byte* row = w.Row(r);
        float* scales = w.ScaleRow(r);
        float acc = 0;
        for (int b0 = from; b0 < w.Cols; b0 = (b0 / Block + 1) * Block)
        {
            int b1 = Math.Min(w.Cols, (b0 / Block + 1) * Block);
            float part = 0;
            for (int c = b0; c < b1; c++) part = MathF.FusedMultiplyAdd(Fp8E4M3.Table[row[c]], x[c], part);
            acc = MathF.FusedMultiplyAdd(part, scales[b0 / Block], acc);
        }
        return acc;
    }
}

internal readonly unsafe struct Fp8Scalar : IFp8Op
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows4(Fp8Rows w, int r, int stride, float* x, float* y)
    {
        for (int i = 0; i < 4; i++) y[i * stride] = Row(w, r + i * stride, x);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Row(Fp8Rows w, int r, float* x) => Fp8Kernel.ScalarRow(w, r, x);
}

internal readonly unsafe struct Fp8V512 : IFp8Op
{
    private const int Block = MatrixSource.Fp8Block;

    /// <summary>Decode gives each code times 2^-8; a block's sum is multiplied back by this (exact).</summary>
    public const float Unscale = 256f;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows4(Fp8Rows w, int r, int stride, float* x, float* y)
    {
        byte* w0 = w.Row(r), w1 = w.Row(r + stride), w2 = w.Row(r + 2 * stride), w3 = w.Row(r + 3 * stride);
        float* s0 = w.ScaleRow(r),
            s1 = w.ScaleRow(r + stride),
            s2 = w.ScaleRow(r + 2 * stride),
            s3 = w.ScaleRow(r + 3 * stride);
        var a0 = Vector512<float>.Zero;
        var a1 = a0;
        var a2 = a0;
        var a3 = a0;
        int cols = w.Cols;
        for (int b = 0; b < w.BlockCols; b++)
        {
            int c = b * Block, end = Math.Min(cols, c + Block);
            var p0 = Vector512<float>.Zero;
            var p1 = p0;
            var p2 = p0;
            var p3 = p0;
            for (; c + 64 <= end; c += 64)
            {
                Dot64(w0 + c, x + c, ref p0);
                Dot64(w1 + c, x + c, ref p1);
                Dot64(w2 + c, x + c, ref p2);
                Dot64(w3 + c, x + c, ref p3);
            }
            for (; c + 16 <= end; c += 16)
            {
                var xv = Vector512.Load(x + c);
                p0 = Vector512.FusedMultiplyAdd(Decode(Vector128.Load((sbyte*)w0 + c)), xv, p0);
                p1 = Vector512.FusedMultiplyAdd(Decode(Vector128.Load((sbyte*)w1 + c)), xv, p1);
                p2 = Vector512.FusedMultiplyAdd(Decode(Vector128.Load((sbyte*)w2 + c)), xv, p2);
                p3 = Vector512.FusedMultiplyAdd(Decode(Vector128.Load((sbyte*)w3 + c)), xv, p3);
            }
            if (c < end)
            {
                var codes = TailMask(end - c);
                var xv = Avx512F.MaskLoad(
                    x + c, Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(end - c)).AsSingle(), default);
                p0 = Vector512.FusedMultiplyAdd(Decode(Avx512BW.VL.MaskLoad((sbyte*)w0 + c, codes, default)), xv, p0);
                p1 = Vector512.FusedMultiplyAdd(Decode(Avx512BW.VL.MaskLoad((sbyte*)w1 + c, codes, default)), xv, p1);
                p2 = Vector512.FusedMultiplyAdd(Decode(Avx512BW.VL.MaskLoad((sbyte*)w2 + c, codes, default)), xv, p2);
                p3 = Vector512.FusedMultiplyAdd(Decode(Avx512BW.VL.MaskLoad((sbyte*)w3 + c, codes, default)), xv, p3);
            }
            a0 = Vector512.FusedMultiplyAdd(p0 * Unscale, Vector512.Create(s0[b]), a0);
            a1 = Vector512.FusedMultiplyAdd(p1 * Unscale, Vector512.Create(s1[b]), a1);
            a2 = Vector512.FusedMultiplyAdd(p2 * Unscale, Vector512.Create(s2[b]), a2);
            a3 = Vector512.FusedMultiplyAdd(p3 * Unscale, Vector512.Create(s3[b]), a3);
        }
        y[0] = Vector512.Sum(a0);
        y[stride] = Vector512.Sum(a1);
        y[2 * stride] = Vector512.Sum(a2);
        y[3 * stride] = Vector512.Sum(a3);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Row(Fp8Rows w, int r, float* x)
    {
        byte* row = w.Row(r);
        float* scales = w.ScaleRow(r);
        var acc = Vector512<float>.Zero;
        for (int b = 0; b < w.BlockCols; b++)
        {
            int c = b * Block, end = Math.Min(w.Cols, c + Block);
            var part = Vector512<float>.Zero;
            for (; c + 64 <= end; c += 64) Dot64(row + c, x + c, ref part);
            for (; c + 16 <= end; c += 16)
                part = Vector512.FusedMultiplyAdd(Decode(Vector128.Load((sbyte*)row + c)), Vector512.Load(x + c), part);
            if (c < end)
            {
                var xv = Avx512F.MaskLoad(
                    x + c, Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(end - c)).AsSingle(), default);
                part = Vector512.FusedMultiplyAdd(
                    Decode(Avx512BW.VL.MaskLoad((sbyte*)row + c, TailMask(end - c), default)), xv, part);
            }
            acc = Vector512.FusedMultiplyAdd(part * Unscale, Vector512.Create(scales[b]), acc);
        }
        return Vector512.Sum(acc);
    }

    public static bool TokenTiles => true;

    /// <summary>Two rows x four tokens; per (row, token) the same operations in the same order as Row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows2Tokens4(Fp8Rows w, int ra, int rb, float** x, float** y, int oa, int ob)
    {
        byte* wa = w.Row(ra), wb = w.Row(rb);
        float* sa = w.ScaleRow(ra), sb = w.ScaleRow(rb);
        float* x0 = x[0], x1 = x[1], x2 = x[2], x3 = x[3];
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default;
        int cols = w.Cols;
        for (int blk = 0; blk < w.BlockCols; blk++)
        {
            int c = blk * Block, end = Math.Min(cols, c + Block);
            Vector512<float> pa0 = default, pa1 = default, pa2 = default, pa3 = default;
            Vector512<float> pb0 = default, pb1 = default, pb2 = default, pb3 = default;
            for (; c + 64 <= end; c += 64)
            {
                bool normalA = !HasExponentZero(wa + c), normalB = !HasExponentZero(wb + c);
                for (int i = c; i < c + 64; i += 16)
                {
                    var va = normalA
                        ? DecodeNormal(Vector128.Load((sbyte*)wa + i))
                        : Decode(Vector128.Load((sbyte*)wa + i));
                    var vb = normalB
                        ? DecodeNormal(Vector128.Load((sbyte*)wb + i))
                        : Decode(Vector128.Load((sbyte*)wb + i));
                    Tile(va, vb, Vector512.Load(x0 + i), ref pa0, ref pb0);
                    Tile(va, vb, Vector512.Load(x1 + i), ref pa1, ref pb1);
                    Tile(va, vb, Vector512.Load(x2 + i), ref pa2, ref pb2);
                    Tile(va, vb, Vector512.Load(x3 + i), ref pa3, ref pb3);
                }
            }
            for (; c + 16 <= end; c += 16)
            {
                var va = Decode(Vector128.Load((sbyte*)wa + c));
                var vb = Decode(Vector128.Load((sbyte*)wb + c));
                Tile(va, vb, Vector512.Load(x0 + c), ref pa0, ref pb0);
                Tile(va, vb, Vector512.Load(x1 + c), ref pa1, ref pb1);
                Tile(va, vb, Vector512.Load(x2 + c), ref pa2, ref pb2);
                Tile(va, vb, Vector512.Load(x3 + c), ref pa3, ref pb3);
            }
            if (c < end)
            {
                var codes = TailMask(end - c);
                var lanes = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(end - c)).AsSingle();
                var va = Decode(Avx512BW.VL.MaskLoad((sbyte*)wa + c, codes, default));
                var vb = Decode(Avx512BW.VL.MaskLoad((sbyte*)wb + c, codes, default));
                Tile(va, vb, Avx512F.MaskLoad(x0 + c, lanes, default), ref pa0, ref pb0);
                Tile(va, vb, Avx512F.MaskLoad(x1 + c, lanes, default), ref pa1, ref pb1);
                Tile(va, vb, Avx512F.MaskLoad(x2 + c, lanes, default), ref pa2, ref pb2);
                Tile(va, vb, Avx512F.MaskLoad(x3 + c, lanes, default), ref pa3, ref pb3);
            }
            var scaleA = Vector512.Create(sa[blk]);
            var scaleB = Vector512.Create(sb[blk]);
            a0 = Vector512.FusedMultiplyAdd(pa0 * Unscale, scaleA, a0);
            a1 = Vector512.FusedMultiplyAdd(pa1 * Unscale, scaleA, a1);
            a2 = Vector512.FusedMultiplyAdd(pa2 * Unscale, scaleA, a2);
            a3 = Vector512.FusedMultiplyAdd(pa3 * Unscale, scaleA, a3);
            b0 = Vector512.FusedMultiplyAdd(pb0 * Unscale, scaleB, b0);
            b1 = Vector512.FusedMultiplyAdd(pb1 * Unscale, scaleB, b1);
            b2 = Vector512.FusedMultiplyAdd(pb2 * Unscale, scaleB, b2);
            b3 = Vector512.FusedMultiplyAdd(pb3 * Unscale, scaleB, b3);
        }
        y[0][oa] = Vector512.Sum(a0);
        y[1][oa] = Vector512.Sum(a1);
        y[2][oa] = Vector512.Sum(a2);
        y[3][oa] = Vector512.Sum(a3);
        y[0][ob] = Vector512.Sum(b0);
        y[1][ob] = Vector512.Sum(b1);
        y[2][ob] = Vector512.Sum(b2);
        y[3][ob] = Vector512.Sum(b3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile(Vector512<float> va, Vector512<float> vb, Vector512<float> xv,
        ref Vector512<float> pa, ref Vector512<float> pb)
    {
        pa = Vector512.FusedMultiplyAdd(va, xv, pa);
        pb = Vector512.FusedMultiplyAdd(vb, xv, pb);
    }

    /// <summary>True when one of the 64 codes at w has exponent 0 (a zero or a subnormal).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool HasExponentZero(byte* w) =>
        Vector512.EqualsAny(Vector512.Load(w) & Vector512.Create((byte)0x78), Vector512<byte>.Zero);

    /// <summary>
    /// part += 64 codes · x (times 2^-8). One test per 64 codes finds a subnormal or zero code (exponent 0); without
    /// one, each 16 decode with two instructions after the widening load (shift, ternary logic).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Dot64(byte* w, float* x, ref Vector512<float> part)
    {
        if (HasExponentZero(w))
        {
            for (int i = 0; i < 64; i += 16)
                part = Vector512.FusedMultiplyAdd(Decode(Vector128.Load((sbyte*)w + i)), Vector512.Load(x + i), part);
            return;
        }
        for (int i = 0; i < 64; i += 16)
            part = Vector512.FusedMultiplyAdd(DecodeNormal(Vector128.Load((sbyte*)w + i)), Vector512.Load(x + i), part);
    }

    /// <summary>16 e4m3fn codes none of which has exponent 0, as float32 times 2^-8, exactly.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> DecodeNormal(Vector128<sbyte> codes)
    {
        var shifted = Vector512.ShiftLeft(Avx512F.ConvertToVector512Int32(codes).AsUInt32(), 20);
        // (shifted & 0x87F00000) | 0x38000000 in one instruction: 0xEA is (A & B) | C.
        return Avx512F.TernaryLogic(
            shifted, Vector512.Create(0x87F00000u), Vector512.Create(0x38000000u), 0xEA).AsSingle();
    }

    /// <summary>16 e4m3fn codes as float32 times 2^-8, exactly (NaN codes excluded).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Decode(Vector128<sbyte> codes)
    {
        var t = Vector512.ShiftLeft(Avx512F.ConvertToVector512Int32(codes).AsUInt32(), 20)
            & Vector512.Create(0x87F00000u);
        var value = (t | Vector512.Create(0x38000000u)).AsSingle();
        var exponent = t & Vector512.Create(0x07800000u);
        if (!Vector512.EqualsAny(exponent, Vector512<uint>.Zero)) return value;
        // Exponent 0: 2^-14 (1 + m/8) - 2^-14 = m 2^-17, the subnormal m 2^-9 times 2^-8, with the code's sign.
        var one = Vector512.Create(0x38800000u);
        var subnormal = (t + one).AsSingle() - ((t & Vector512.Create(0x80000000u)) | one).AsSingle();
        return Vector512.ConditionalSelect(
            Vector512.Equals(exponent, Vector512<uint>.Zero).AsSingle(), subnormal, value);
    }

    private static Vector128<sbyte> TailMask(int count) =>
        Vector128.LessThan(Vector128<sbyte>.Indices, Vector128.Create((sbyte)count));
}

internal readonly unsafe struct Fp8V256 : IFp8Op
{
    private const int Block = MatrixSource.Fp8Block;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows4(Fp8Rows w, int r, int stride, float* x, float* y)
    {
        for (int i = 0; i < 4; i++) y[i * stride] = Row(w, r + i * stride, x);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Row(Fp8Rows w, int r, float* x)
    {
        byte* row = w.Row(r);
        float* scales = w.ScaleRow(r);
        var acc = Vector256<float>.Zero;
        int vectorCols = w.Cols / 8 * 8;
        for (int b = 0; b * Block < vectorCols; b++)
        {
            int c = b * Block, end = Math.Min(vectorCols, c + Block);
            var part = Vector256<float>.Zero;
            for (; c < end; c += 8)
                part = Vector256.FusedMultiplyAdd(
                    Decode(Avx2.ConvertToVector256Int32((sbyte*)row + c)), Vector256.Load(x + c), part);
            acc = Vector256.FusedMultiplyAdd(part, Vector256.Create(scales[b]), acc);
        }
        float sum = Vector256.Sum(acc);
        return vectorCols == w.Cols ? sum : sum + Fp8Kernel.ScalarRow(w, r, x, vectorCols);
    }

    /// <summary>8 sign-extended e4m3fn codes as float32, exactly (see Fp8V512.Decode).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Decode(Vector256<int> codes)
    {
        var t = Vector256.ShiftLeft(codes.AsUInt32(), 20) & Vector256.Create(0x87F00000u);
        var value = (t + Vector256.Create(0x3C000000u)).AsSingle();
        var exponent = t & Vector256.Create(0x07800000u);
        if (!Vector256.EqualsAny(exponent, Vector256<uint>.Zero)) return value;
        var subnormal = (t + Vector256.Create(0x3C800000u)).AsSingle()
            - ((t & Vector256.Create(0x80000000u)) | Vector256.Create(0x3C800000u)).AsSingle();
        return Vector256.ConditionalSelect(
            Vector256.Equals(exponent, Vector256<uint>.Zero).AsSingle(), subnormal, value);
    }
}

// Dot products of FP8 e4m3fn weight rows (DeepSeek-V3 block format, read in place: 1 byte per weight plus one
// float32 scale per 128x128 block) with float32 activation rows. Within a block the decoded codes are dotted
// with x in float32 and the block's sum is multiplied by its scale once.
// Vector512: the activation row is first scaled by 2^k (k = 112 unless some |x| reaches 2^15; ScaleInput), and the
// fast decode gives each code times 2^-120: the float's sign, its exponent's low four bits and its mantissa's top
// three bits are the code's, nothing else is set, so with GFNI and VBMI one affine bit map and one byte permute
// decode 16 codes (Decoder). Every product is then w·x·2^(k-120), for k = 112 exactly the old w·2^-8 times x,
// and a block's sum is multiplied by 2^(120-k) before its scale. A 64-code stretch with a zero or subnormal code
// (rare in real weights; as float32 times 2^-120 a subnormal would be a denormal, which costs FMA a microcode
// assist) takes the slow step: the sign-extending decode times 2^-8, exact for every code, against x'·2^-112.
// Vector256 adds 120 to the exponent field (bias 7 -> 127), which gives every normal code exactly; subnormal codes
// take one more exact step, only in vectors that hold one. NaN codes (0x7F, 0xFF) never reach here: the loader
// rejects them (WeightBinder.CheckFp8Codes). Tests: tests/K2Native.Tests/Backends/Cpu/Fp8KernelTests.cs.
using System.Buffers;
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

/// <summary>
/// The FP8 row kernels at one vector width. x is the activation row as ScaleInput left it (x itself where the
/// width does not scale its input) and u what ScaleInput returned (1 otherwise).
/// </summary>
internal unsafe interface IFp8Op
{
    /// <summary>y[i·stride] = row r + i·stride of w dotted with x, i = 0..3.</summary>
    static abstract void Rows4(Fp8Rows w, int r, int stride, float* x, float u, float* y);

    /// <summary>Row r of w dotted with x.</summary>
    static abstract float Row(Fp8Rows w, int r, float* x, float u);

    /// <summary>
    /// y[k][oa] = row ra · x[k] and y[k][ob] = row rb · x[k] for four tokens k, each dot bitwise equal to Row's
    /// (a token's result never depends on the others in the call).
    /// </summary>
    static virtual void Rows2Tokens4(Fp8Rows w, int ra, int rb, float** x, float* u, float** y, int oa, int ob)
    {
        throw new NotSupportedException();
    }

    /// <summary>True when Rows2Tokens4 decodes each weight once for the four tokens (implies ScaledInput).</summary>
    static virtual bool TokenTiles => false;

    /// <summary>True when the kernels read x through ScaleInput.</summary>
    static virtual bool ScaledInput => false;

    /// <summary>Writes the row the kernels read for activation row x (n values) to dst; returns its u.</summary>
    static virtual float ScaleInput(float* x, int n, float* dst) => throw new NotSupportedException();
}

internal static unsafe class Fp8Kernel
{
    private const int Block = MatrixSource.Fp8Block;

    /// <summary>Activation rows up to this many floats are scaled on the stack, longer ones in a pooled array.</summary>
    private const int StackFloats = 32 * 1024;

    /// <summary>
    /// y[n - n0] = row n of w · x, n in [n0, n1), four sequential streams at a time (see MatMulKernel).
    /// </summary>
    [SkipLocalsInit]
    public static void Rows<TOp>(Fp8Rows w, int n0, int n1, float* x, float* y) where TOp : IFp8Op
    {
        if (!TOp.ScaledInput)
        {
            ScaledRows<TOp>(w, n0, n1, x, 1f, y);
            return;
        }
        float[]? rented = null;
        Span<float> buffer = w.Cols <= StackFloats
            ? stackalloc float[w.Cols]
            : (rented = ArrayPool<float>.Shared.Rent(w.Cols));
        fixed (float* xs = buffer)
        {
            float u = TOp.ScaleInput(x, w.Cols, xs);
            ScaledRows<TOp>(w, n0, n1, xs, u, y);
        }
        if (rented is not null) ArrayPool<float>.Shared.Return(rented);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ScaledRows<TOp>(Fp8Rows w, int n0, int n1, float* x, float u, float* y) where TOp : IFp8Op
    {
        int m = (n1 - n0) / 4;
        for (int i = 0; i < m; i++) TOp.Rows4(w, n0 + i, m, x, u, y + i);
        for (int n = n0 + 4 * m; n < n1; n++) y[n - n0] = TOp.Row(w, n, x, u);
    }

    /// <summary>
    /// y[k][n - n0] = row n of w · x[k] for count tokens k, n in [n0, n1). Where the width has token tiles, four
    /// tokens at a time share each decoded weight (two rows half the range apart, so two sequential streams).
    /// </summary>
    [SkipLocalsInit]
    public static void RowsTokens<TOp>(Fp8Rows w, int n0, int n1, float** x, float** y, int count) where TOp : IFp8Op
    {
        int k = 0;
        if (TOp.TokenTiles && count >= 4)
        {
            int cols = w.Cols;
            float[]? rented = null;
            Span<float> buffer = 4 * cols <= StackFloats
                ? stackalloc float[4 * cols]
                : (rented = ArrayPool<float>.Shared.Rent(4 * cols));
            float** xs = stackalloc float*[4];
            float* us = stackalloc float[4];
            fixed (float* scaled = buffer)
            {
                for (; k + 4 <= count; k += 4)
                {
                    for (int j = 0; j < 4; j++)
                    {
                        xs[j] = scaled + j * cols;
                        us[j] = TOp.ScaleInput(x[k + j], cols, xs[j]);
                    }
                    Tile4<TOp>(w, n0, n1, xs, us, y + k);
                }
            }
            if (rented is not null) ArrayPool<float>.Shared.Return(rented);
        }
        for (; k < count; k++) Rows<TOp>(w, n0, n1, x[k], y[k]);
    }

    /// <summary>
    /// RowsTokens over rows already as ScaleInput leaves them (x[k]) with their u (us[k]), for a caller that scales
    /// each activation row once for all of its chunks (MatMulKernel).
    /// </summary>
    public static void ScaledRowsTokens<TOp>(Fp8Rows w, int n0, int n1, float** x, float* us, float** y, int count)
        where TOp : IFp8Op
    {
        int k = 0;
        if (TOp.TokenTiles)
            for (; k + 4 <= count; k += 4) Tile4<TOp>(w, n0, n1, x + k, us + k, y + k);
        for (; k < count; k++) ScaledRows<TOp>(w, n0, n1, x[k], us[k], y[k]);
    }

    /// <summary>
    /// y[j][n - n0] = row n of w · x[j] for four scaled tokens j: rows paired half the range apart (two sequential
    /// streams), the odd last row alone.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile4<TOp>(Fp8Rows w, int n0, int n1, float** x, float* us, float** y) where TOp : IFp8Op
    {
        int m = (n1 - n0) / 2;
        for (int i = 0; i < m; i++) TOp.Rows2Tokens4(w, n0 + i, n0 + m + i, x, us, y, i, m + i);
        if (n0 + 2 * m < n1)
            for (int j = 0; j < 4; j++) y[j][n1 - 1 - n0] = TOp.Row(w, n1 - 1, x[j], us[j]);
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
    public static void Rows4(Fp8Rows w, int r, int stride, float* x, float u, float* y)
    {
        for (int i = 0; i < 4; i++) y[i * stride] = Row(w, r + i * stride, x, u);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Row(Fp8Rows w, int r, float* x, float u) => Fp8Kernel.ScalarRow(w, r, x);
}

internal readonly unsafe struct Fp8V512 : IFp8Op
{
    private const int Block = MatrixSource.Fp8Block;

    /// <summary>The old decode (Decode) gives each code times 2^-8; its products take x' times this, 2^-112.</summary>
    internal const float Down = 1.9259299443872359e-34f;

    /// <summary>Decode gives each code times 2^-8 (test helper: multiply by this to get the value).</summary>
    public const float Unscale = 256f;

    /// <summary>The largest k: x' = x·2^k, and the fast decode gives w·2^-120, so products are w·x·2^-8 as before.</summary>
    private const int MaxExponent = 112;

    public static bool ScaledInput => true;

    public static bool TokenTiles => true;

    /// <summary>
    /// dst = x·2^k for the largest k &lt;= 112 that keeps every |x·2^k| below 2^127 (k = 112 unless some |x| is
    /// 2^15 or more); returns 2^(120-k), which turns a block's sum back into w·x. Powers of two: exact.
    /// </summary>
    [SkipLocalsInit]
    public static float ScaleInput(float* x, int n, float* dst)
    {
        var bits = Vector512<uint>.Zero;
        var magnitude = Vector512.Create(0x7FFFFFFFu);
        int i = 0;
        for (; i + 16 <= n; i += 16) bits = Vector512.Max(bits, Vector512.Load((uint*)x + i) & magnitude);
        uint top = MaxOf(bits);
        for (; i < n; i++) top = Math.Max(top, ((uint*)x)[i] & 0x7FFFFFFFu);
        int k = MaxExponent;
        if (top < 0x7F800000u) k = Math.Min(MaxExponent, 126 - ((int)(top >> 23) - 127));
        var scale = Vector512.Create(BitConverter.Int32BitsToSingle((k + 127) << 23));
        i = 0;
        for (; i + 16 <= n; i += 16) (Vector512.Load(x + i) * scale).Store(dst + i);
        for (; i < n; i++) dst[i] = x[i] * scale[0];
        return BitConverter.Int32BitsToSingle((120 - k + 127) << 23);
    }

    private static uint MaxOf(Vector512<uint> v)
    {
        var m = Vector256.Max(v.GetLower(), v.GetUpper());
        var q = Vector128.Max(m.GetLower(), m.GetUpper());
        return Math.Max(Math.Max(q[0], q[1]), Math.Max(q[2], q[3]));
    }

    /// <summary>
    /// Rows4 asks for each stream's line this far ahead. At 22 instructions per 64 codes the loop leaves the out-of-order
    /// window too few lines in flight for the hardware prefetchers alone: batch-1 rows went from 62-73% to 72-84% of
    /// the read ceiling (docs/perf.md); 512, 1536 and 2048 bytes and an L2-only hint measured the same within noise.
    /// Prefetching past a matrix's end is harmless (a prefetch never faults).
    /// </summary>
    private const int PrefetchBytes = 1024;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows4(Fp8Rows w, int r, int stride, float* x, float u, float* y)
    {
        byte* w0 = w.Row(r), w1 = w.Row(r + stride), w2 = w.Row(r + 2 * stride), w3 = w.Row(r + 3 * stride);
        float* s0 = w.ScaleRow(r),
            s1 = w.ScaleRow(r + stride),
            s2 = w.ScaleRow(r + 2 * stride),
            s3 = w.ScaleRow(r + 3 * stride);
        var decoder = new Decoder();
        var a0 = Vector512<float>.Zero;
        var a1 = a0;
        var a2 = a0;
        var a3 = a0;
        var unscale = Vector512.Create(u);
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
                Sse.Prefetch0(w0 + c + PrefetchBytes);
                Sse.Prefetch0(w1 + c + PrefetchBytes);
                Sse.Prefetch0(w2 + c + PrefetchBytes);
                Sse.Prefetch0(w3 + c + PrefetchBytes);
                decoder.Dot64(w0 + c, x + c, ref p0);
                decoder.Dot64(w1 + c, x + c, ref p1);
                decoder.Dot64(w2 + c, x + c, ref p2);
                decoder.Dot64(w3 + c, x + c, ref p3);
            }
            if (c < end)
            {
                DotRest(w0 + c, x + c, end - c, ref p0);
                DotRest(w1 + c, x + c, end - c, ref p1);
                DotRest(w2 + c, x + c, end - c, ref p2);
                DotRest(w3 + c, x + c, end - c, ref p3);
            }
            a0 = Vector512.FusedMultiplyAdd(p0 * unscale, Vector512.Create(s0[b]), a0);
            a1 = Vector512.FusedMultiplyAdd(p1 * unscale, Vector512.Create(s1[b]), a1);
            a2 = Vector512.FusedMultiplyAdd(p2 * unscale, Vector512.Create(s2[b]), a2);
            a3 = Vector512.FusedMultiplyAdd(p3 * unscale, Vector512.Create(s3[b]), a3);
        }
        y[0] = Vector512.Sum(a0);
        y[stride] = Vector512.Sum(a1);
        y[2 * stride] = Vector512.Sum(a2);
        y[3 * stride] = Vector512.Sum(a3);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Row(Fp8Rows w, int r, float* x, float u)
    {
        byte* row = w.Row(r);
        float* scales = w.ScaleRow(r);
        var decoder = new Decoder();
        var unscale = Vector512.Create(u);
        var acc = Vector512<float>.Zero;
        for (int b = 0; b < w.BlockCols; b++)
        {
            int c = b * Block, end = Math.Min(w.Cols, c + Block);
            var part = Vector512<float>.Zero;
            for (; c + 64 <= end; c += 64) decoder.Dot64(row + c, x + c, ref part);
            if (c < end) DotRest(row + c, x + c, end - c, ref part);
            acc = Vector512.FusedMultiplyAdd(part * unscale, Vector512.Create(scales[b]), acc);
        }
        return Vector512.Sum(acc);
    }

    /// <summary>
    /// Two rows x four tokens; per (row, token) the same operations in the same order as Row. The weights decode by
    /// shift and mask here (the same floats as Decoder's affine map and permute, which measured slower when four
    /// tokens share each decoded weight: docs/perf.md).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows2Tokens4(Fp8Rows w, int ra, int rb, float** x, float* u, float** y, int oa, int ob)
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
                bool fastA = !HasExponentZero(wa + c), fastB = !HasExponentZero(wb + c);
                if (fastA && fastB)
                {
                    for (int i = c; i < c + 64; i += 16)
                    {
                        var va = Decoder.DecodeByShift(wa + i);
                        var vb = Decoder.DecodeByShift(wb + i);
                        Tile(va, vb, Vector512.Load(x0 + i), ref pa0, ref pb0);
                        Tile(va, vb, Vector512.Load(x1 + i), ref pa1, ref pb1);
                        Tile(va, vb, Vector512.Load(x2 + i), ref pa2, ref pb2);
                        Tile(va, vb, Vector512.Load(x3 + i), ref pa3, ref pb3);
                    }
                    continue;
                }
                // A 64-code stretch with a zero or subnormal code (rare): Row's slow step for that row.
                var downA = Vector512.Create(fastA ? 1f : Down);
                var downB = Vector512.Create(fastB ? 1f : Down);
                for (int i = c; i < c + 64; i += 16)
                {
                    var va = fastA ? Decoder.DecodeByShift(wa + i) : Decode(Vector128.Load((sbyte*)wa + i));
                    var vb = fastB ? Decoder.DecodeByShift(wb + i) : Decode(Vector128.Load((sbyte*)wb + i));
                    Tile(va, vb, Vector512.Load(x0 + i), downA, downB, ref pa0, ref pb0);
                    Tile(va, vb, Vector512.Load(x1 + i), downA, downB, ref pa1, ref pb1);
                    Tile(va, vb, Vector512.Load(x2 + i), downA, downB, ref pa2, ref pb2);
                    Tile(va, vb, Vector512.Load(x3 + i), downA, downB, ref pa3, ref pb3);
                }
            }
            if (c < end)
            {
                DotRest(wa + c, x0 + c, end - c, ref pa0);
                DotRest(wa + c, x1 + c, end - c, ref pa1);
                DotRest(wa + c, x2 + c, end - c, ref pa2);
                DotRest(wa + c, x3 + c, end - c, ref pa3);
                DotRest(wb + c, x0 + c, end - c, ref pb0);
                DotRest(wb + c, x1 + c, end - c, ref pb1);
                DotRest(wb + c, x2 + c, end - c, ref pb2);
                DotRest(wb + c, x3 + c, end - c, ref pb3);
            }
            var scaleA = Vector512.Create(sa[blk]);
            var scaleB = Vector512.Create(sb[blk]);
            a0 = Vector512.FusedMultiplyAdd(pa0 * Vector512.Create(u[0]), scaleA, a0);
            a1 = Vector512.FusedMultiplyAdd(pa1 * Vector512.Create(u[1]), scaleA, a1);
            a2 = Vector512.FusedMultiplyAdd(pa2 * Vector512.Create(u[2]), scaleA, a2);
            a3 = Vector512.FusedMultiplyAdd(pa3 * Vector512.Create(u[3]), scaleA, a3);
            b0 = Vector512.FusedMultiplyAdd(pb0 * Vector512.Create(u[0]), scaleB, b0);
            b1 = Vector512.FusedMultiplyAdd(pb1 * Vector512.Create(u[1]), scaleB, b1);
            b2 = Vector512.FusedMultiplyAdd(pb2 * Vector512.Create(u[2]), scaleB, b2);
            b3 = Vector512.FusedMultiplyAdd(pb3 * Vector512.Create(u[3]), scaleB, b3);
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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile(Vector512<float> va, Vector512<float> vb, Vector512<float> xv, Vector512<float> downA,
        Vector512<float> downB, ref Vector512<float> pa, ref Vector512<float> pb)
    {
        pa = Vector512.FusedMultiplyAdd(va, xv * downA, pa);
        pb = Vector512.FusedMultiplyAdd(vb, xv * downB, pb);
    }

    /// <summary>True when one of the 64 codes at w has exponent 0 (a zero or a subnormal).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool HasExponentZero(byte* w) =>
        Vector512.EqualsAny(Vector512.Load(w) & Vector512.Create((byte)0x78), Vector512<byte>.Zero);

    /// <summary>
    /// part += count (1..64) codes · x' with the slow step: 16 at a time, then a masked tail.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void DotRest(byte* w, float* x, int count, ref Vector512<float> part)
    {
        var down = Vector512.Create(Down);
        int c = 0;
        for (; c + 16 <= count; c += 16)
            part = Vector512.FusedMultiplyAdd(Decode(Vector128.Load((sbyte*)w + c)), Vector512.Load(x + c) * down, part);
        if (c < count)
        {
            var lanes = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(count - c)).AsSingle();
            var codes = Avx512BW.VL.MaskLoad((sbyte*)w + c, TailMask(count - c), default);
            part = Vector512.FusedMultiplyAdd(Decode(codes), Avx512F.MaskLoad(x + c, lanes, default) * down, part);
        }
    }

    /// <summary>16 e4m3fn codes as float32 times 2^-8, exactly (NaN codes excluded): the slow step's decode.</summary>
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

    /// <summary>
    /// The fast decode: 16 codes without a subnormal as float32 times 2^-120 (sign, the code's 4 exponent bits as
    /// the float's low exponent bits, its 3 mantissa bits on top of the float's). With GFNI and VBMI (Ice Lake,
    /// Zen 4 and later): one broadcast load, one GF(2) affine map that writes the float's byte 2 for the 16 codes
    /// into the first 16 bytes, byte 3 into the next 16 and zeros above, and one byte permute that puts them in
    /// place, two instructions where the shift-and-mask takes three.
    /// </summary>
    internal readonly struct Decoder
    {
        // Per 64-bit lane of the broadcast codes s eeee mmm: lanes 0-1 give byte 2 = e0 m2 m1 m0 0000, lanes 2-3
        // byte 3 = s 0000 e3 e2 e1, lanes 4-7 zero (row i of an 8x8 bit matrix is its byte 7 - i).
        private readonly Vector512<byte> _matrix = Vector512.Create(
            0x0000000001020408UL, 0x0000000001020408UL, 0x1020400000000080UL, 0x1020400000000080UL, 0, 0, 0, 0).AsByte();

        // Float j takes bytes [32, 32, j, 16 + j]: two zeros, then bytes 2 and 3.
        private readonly Vector512<byte> _index =
            (Vector512<uint>.Indices * 0x01010000u + Vector512.Create(0x10002020u)).AsByte();

        public Decoder()
        {
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<float> Decode(byte* w)
        {
            if (Gfni.V512.IsSupported && Avx512Vbmi.IsSupported)
            {
                var codes = Avx512F.BroadcastVector128ToVector512((uint*)w).AsByte();
                return Avx512Vbmi.PermuteVar64x8(Gfni.V512.GaloisFieldAffineTransform(codes, _matrix, 0), _index)
                    .AsSingle();
            }
            return DecodeByShift(w);
        }

        /// <summary>The same values by a sign-extending load, a shift and a mask.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> DecodeByShift(byte* w) =>
            (Vector512.ShiftLeft(Avx512F.ConvertToVector512Int32(Vector128.Load((sbyte*)w)).AsUInt32(), 20)
                & Vector512.Create(0x87F00000u)).AsSingle();

        /// <summary>
        /// part += 64 codes · x' (the product w·x·2^(k-120)). A stretch with a zero or subnormal code takes the slow
        /// step (the fast decode would hand FMA denormal operands, which cost a microcode assist each).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Dot64(byte* w, float* x, ref Vector512<float> part)
        {
            if (HasExponentZero(w))
            {
                DotRest(w, x, 64, ref part);
                return;
            }
            for (int i = 0; i < 64; i += 16)
                part = Vector512.FusedMultiplyAdd(Decode(w + i), Vector512.Load(x + i), part);
        }
    }
}

internal readonly unsafe struct Fp8V256 : IFp8Op
{
    private const int Block = MatrixSource.Fp8Block;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows4(Fp8Rows w, int r, int stride, float* x, float u, float* y)
    {
        for (int i = 0; i < 4; i++) y[i * stride] = Row(w, r + i * stride, x, u);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Row(Fp8Rows w, int r, float* x, float u)
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

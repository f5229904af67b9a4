// The AVX-512 FP8 row kernels. The fast decodes (Fp8Decoders.cs) give each code times 2^-120, so the activation row is
// first scaled by 2^k (ScaleInput, once per call: k = 112 unless some |x| reaches 2^15) and every product is
// w·x·2^(k-120), a normal float; a block's sum is multiplied by u = 2^(120-k) before its scale.
// The exact step (ExactDot) forms the same products another way, each code times 2^-8 (never a denormal) against
// x'·2^-112: it takes the columns after a block's last whole 64-code stretch (16 at a time, then a masked tail) and,
// where the decoder asks for it (denormal FMA operands cost a microcode assist on Intel cores), every stretch that
// holds a zero or subnormal code. Since both ways form the same products in the same order, a result does not depend
// on which way a stretch went, nor on the decoder: Row, Rows8 (eight rows, eight sequential streams sharing every x
// load) and Rows2Tokens4 (two rows x four tokens sharing every decoded weight) give bitwise the same dot for a row.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using K2Native.Checkpoint;

namespace K2Native.Backends.Cpu;

/// <summary>What the Vector512 FP8 kernels share whatever their decoder: the scaled input and the exact step.</summary>
internal static unsafe class Fp8V512
{
    /// <summary>The exact step's x' multiplier, 2^-112 (its decode gives each code times 2^-8).</summary>
    public const float Down = 1.9259299443872359e-34f;

    /// <summary>The exact decode gives each code times 2^-8: times this, the code's value (exactly).</summary>
    public const float Unscale = 256f;

    /// <summary>The largest k: x' = x·2^k.</summary>
    private const int MaxExponent = 112;

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

    /// <summary>True when one of the 64 codes at w has exponent 0 (a zero or a subnormal).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool HasExponentZero(byte* w) =>
        Vector512.EqualsAny(Vector512.Load(w) & Vector512.Create((byte)0x78), Vector512<byte>.Zero);

    /// <summary>part += count (1..64) codes at w · x' by the exact step: 16 at a time, then a masked tail.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ExactDot(byte* w, float* x, int count, ref Vector512<float> part)
    {
        var down = Vector512.Create(Down);
        int c = 0;
        for (; c + 16 <= count; c += 16)
            part = Vector512.FusedMultiplyAdd(Decode(Vector128.Load((sbyte*)w + c)), Vector512.Load(x + c) * down, part);
        if (c < count)
        {
            var lanes = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(count - c)).AsSingle();
            var tail = Vector128.LessThan(Vector128<sbyte>.Indices, Vector128.Create((sbyte)(count - c)));
            var codes = Avx512BW.VL.MaskLoad((sbyte*)w + c, tail, default);
            part = Vector512.FusedMultiplyAdd(Decode(codes), Avx512F.MaskLoad(x + c, lanes, default) * down, part);
        }
    }

    /// <summary>16 e4m3fn codes as float32 times 2^-8, exactly (NaN codes excluded): the exact step's decode.</summary>
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
}

internal readonly unsafe struct Fp8V512<TDecode> : IFp8Op where TDecode : struct, IFp8Decode<TDecode>
{
    private const int Block = MatrixSource.Fp8Block;

    /// <summary>
    /// Rows8 asks for each stream's line this far ahead, into L2 only (prefetcht1): the hardware prefetchers alone
    /// leave the FP8 loop, which spends far more instructions per byte than a plain read, too few lines in flight.
    /// On the Zen 4 VM, four alternating pairs: 2048 bytes with prefetcht1 streamed 21-30 GB/s where 1024 with
    /// prefetcht0 (which also fills L1, where a 28-32 KiB activation row must stay) streamed 19-25; on an Intel Xeon
    /// the hint and distances from 512 to 2048 bytes measured the same (docs/perf.md). A prefetch never faults, so
    /// asking past a matrix's end is harmless.
    /// </summary>
    private const int PrefetchBytes = 2048;

    public static bool ScaledInput => true;

    public static bool TokenTiles => true;

    public static float ScaleInput(float* x, int n, float* dst) => Fp8V512.ScaleInput(x, n, dst);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Row(Fp8Rows w, int r, float* x, float u)
    {
        byte* row = w.Row(r);
        float* scales = w.ScaleRow(r);
        var d = TDecode.Create();
        var unscale = Vector512.Create(u);
        var acc = Vector512<float>.Zero;
        for (int b = 0; b < w.BlockCols; b++)
        {
            int c = b * Block, end = Math.Min(w.Cols, c + Block);
            var part = Vector512<float>.Zero;
            for (; c + 64 <= end; c += 64)
            {
                float* xc = x + c;
                Dot64(d, row + c, xc, Vector512.Load(xc), Vector512.Load(xc + 16), Vector512.Load(xc + 32),
                    Vector512.Load(xc + 48), ref part);
            }
            if (c < end) Fp8V512.ExactDot(row + c, x + c, end - c, ref part);
            acc = Vector512.FusedMultiplyAdd(part * unscale, Vector512.Create(scales[b]), acc);
        }
        return Vector512.Sum(acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows8(Fp8Rows w, int r, int stride, float* x, float u, float* y)
    {
        byte* w0 = w.Row(r), w1 = w.Row(r + stride), w2 = w.Row(r + 2 * stride), w3 = w.Row(r + 3 * stride);
        byte* w4 = w.Row(r + 4 * stride), w5 = w.Row(r + 5 * stride), w6 = w.Row(r + 6 * stride);
        byte* w7 = w.Row(r + 7 * stride);
        // The eight rows' scale rows, not evenly spaced (a 128-row block boundary may fall among them).
        float* s0 = w.ScaleRow(r), s1 = w.ScaleRow(r + stride), s2 = w.ScaleRow(r + 2 * stride);
        float* s3 = w.ScaleRow(r + 3 * stride), s4 = w.ScaleRow(r + 4 * stride), s5 = w.ScaleRow(r + 5 * stride);
        float* s6 = w.ScaleRow(r + 6 * stride), s7 = w.ScaleRow(r + 7 * stride);
        var d = TDecode.Create();
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        Vector512<float> a4 = default, a5 = default, a6 = default, a7 = default;
        var unscale = Vector512.Create(u);
        int cols = w.Cols;
        for (int b = 0; b < w.BlockCols; b++)
        {
            int c = b * Block, end = Math.Min(cols, c + Block);
            Vector512<float> p0 = default, p1 = default, p2 = default, p3 = default;
            Vector512<float> p4 = default, p5 = default, p6 = default, p7 = default;
            for (; c + 64 <= end; c += 64)
            {
                Sse.Prefetch1(w0 + c + PrefetchBytes);
                Sse.Prefetch1(w1 + c + PrefetchBytes);
                Sse.Prefetch1(w2 + c + PrefetchBytes);
                Sse.Prefetch1(w3 + c + PrefetchBytes);
                Sse.Prefetch1(w4 + c + PrefetchBytes);
                Sse.Prefetch1(w5 + c + PrefetchBytes);
                Sse.Prefetch1(w6 + c + PrefetchBytes);
                Sse.Prefetch1(w7 + c + PrefetchBytes);
                float* xc = x + c;
                var x0 = Vector512.Load(xc);
                var x1 = Vector512.Load(xc + 16);
                var x2 = Vector512.Load(xc + 32);
                var x3 = Vector512.Load(xc + 48);
                Dot64(d, w0 + c, xc, x0, x1, x2, x3, ref p0);
                Dot64(d, w1 + c, xc, x0, x1, x2, x3, ref p1);
                Dot64(d, w2 + c, xc, x0, x1, x2, x3, ref p2);
                Dot64(d, w3 + c, xc, x0, x1, x2, x3, ref p3);
                Dot64(d, w4 + c, xc, x0, x1, x2, x3, ref p4);
                Dot64(d, w5 + c, xc, x0, x1, x2, x3, ref p5);
                Dot64(d, w6 + c, xc, x0, x1, x2, x3, ref p6);
                Dot64(d, w7 + c, xc, x0, x1, x2, x3, ref p7);
            }
            if (c < end)
            {
                int n = end - c;
                Fp8V512.ExactDot(w0 + c, x + c, n, ref p0);
                Fp8V512.ExactDot(w1 + c, x + c, n, ref p1);
                Fp8V512.ExactDot(w2 + c, x + c, n, ref p2);
                Fp8V512.ExactDot(w3 + c, x + c, n, ref p3);
                Fp8V512.ExactDot(w4 + c, x + c, n, ref p4);
                Fp8V512.ExactDot(w5 + c, x + c, n, ref p5);
                Fp8V512.ExactDot(w6 + c, x + c, n, ref p6);
                Fp8V512.ExactDot(w7 + c, x + c, n, ref p7);
            }
            a0 = Vector512.FusedMultiplyAdd(p0 * unscale, Vector512.Create(s0[b]), a0);
            a1 = Vector512.FusedMultiplyAdd(p1 * unscale, Vector512.Create(s1[b]), a1);
            a2 = Vector512.FusedMultiplyAdd(p2 * unscale, Vector512.Create(s2[b]), a2);
            a3 = Vector512.FusedMultiplyAdd(p3 * unscale, Vector512.Create(s3[b]), a3);
            a4 = Vector512.FusedMultiplyAdd(p4 * unscale, Vector512.Create(s4[b]), a4);
            a5 = Vector512.FusedMultiplyAdd(p5 * unscale, Vector512.Create(s5[b]), a5);
            a6 = Vector512.FusedMultiplyAdd(p6 * unscale, Vector512.Create(s6[b]), a6);
            a7 = Vector512.FusedMultiplyAdd(p7 * unscale, Vector512.Create(s7[b]), a7);
        }
        y[0] = Vector512.Sum(a0);
        y[stride] = Vector512.Sum(a1);
        y[2 * stride] = Vector512.Sum(a2);
        y[3 * stride] = Vector512.Sum(a3);
        y[4 * stride] = Vector512.Sum(a4);
        y[5 * stride] = Vector512.Sum(a5);
        y[6 * stride] = Vector512.Sum(a6);
        y[7 * stride] = Vector512.Sum(a7);
    }

    /// <summary>
    /// part += 64 codes at w · x' at xc (its four vectors already loaded), 16 at a time. Where the decoder asks for
    /// it, a stretch with a zero or subnormal code takes the exact step (the same products).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Dot64(TDecode d, byte* w, float* xc, Vector512<float> x0, Vector512<float> x1,
        Vector512<float> x2, Vector512<float> x3, ref Vector512<float> part)
    {
        if (TDecode.ChecksExponentZero && Fp8V512.HasExponentZero(w))
        {
            Fp8V512.ExactDot(w, xc, 64, ref part);
            return;
        }
        part = Vector512.FusedMultiplyAdd(d.Decode16(w), x0, part);
        part = Vector512.FusedMultiplyAdd(d.Decode16(w + 16), x1, part);
        part = Vector512.FusedMultiplyAdd(d.Decode16(w + 32), x2, part);
        part = Vector512.FusedMultiplyAdd(d.Decode16(w + 48), x3, part);
    }

    /// <summary>
    /// Two rows x four tokens; per (row, token) the same products in the same order as Row. The weights decode by
    /// shift and mask whatever TDecode is (the same floats; with four tokens per decoded weight the permute decode
    /// measured slower on Intel too: docs/perf.md); TDecode says whether exponent-0 stretches take the exact step.
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
                bool exactA = TDecode.ChecksExponentZero && Fp8V512.HasExponentZero(wa + c);
                bool exactB = TDecode.ChecksExponentZero && Fp8V512.HasExponentZero(wb + c);
                if (!exactA && !exactB)
                {
                    for (int i = c; i < c + 64; i += 16)
                    {
                        var va = Fp8ShiftDecode.Decode(wa + i);
                        var vb = Fp8ShiftDecode.Decode(wb + i);
                        Tile(va, vb, Vector512.Load(x0 + i), ref pa0, ref pb0);
                        Tile(va, vb, Vector512.Load(x1 + i), ref pa1, ref pb1);
                        Tile(va, vb, Vector512.Load(x2 + i), ref pa2, ref pb2);
                        Tile(va, vb, Vector512.Load(x3 + i), ref pa3, ref pb3);
                    }
                    continue;
                }
                // A stretch with a zero or subnormal code (rare): the exact step for that row.
                var downA = Vector512.Create(exactA ? Fp8V512.Down : 1f);
                var downB = Vector512.Create(exactB ? Fp8V512.Down : 1f);
                for (int i = c; i < c + 64; i += 16)
                {
                    var va = exactA ? Fp8V512.Decode(Vector128.Load((sbyte*)wa + i)) : Fp8ShiftDecode.Decode(wa + i);
                    var vb = exactB ? Fp8V512.Decode(Vector128.Load((sbyte*)wb + i)) : Fp8ShiftDecode.Decode(wb + i);
                    Tile(va, vb, Vector512.Load(x0 + i), downA, downB, ref pa0, ref pb0);
                    Tile(va, vb, Vector512.Load(x1 + i), downA, downB, ref pa1, ref pb1);
                    Tile(va, vb, Vector512.Load(x2 + i), downA, downB, ref pa2, ref pb2);
                    Tile(va, vb, Vector512.Load(x3 + i), downA, downB, ref pa3, ref pb3);
                }
            }
            if (c < end)
            {
                int n = end - c;
                Fp8V512.ExactDot(wa + c, x0 + c, n, ref pa0);
                Fp8V512.ExactDot(wa + c, x1 + c, n, ref pa1);
                Fp8V512.ExactDot(wa + c, x2 + c, n, ref pa2);
                Fp8V512.ExactDot(wa + c, x3 + c, n, ref pa3);
                Fp8V512.ExactDot(wb + c, x0 + c, n, ref pb0);
                Fp8V512.ExactDot(wb + c, x1 + c, n, ref pb1);
                Fp8V512.ExactDot(wb + c, x2 + c, n, ref pb2);
                Fp8V512.ExactDot(wb + c, x3 + c, n, ref pb3);
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
}

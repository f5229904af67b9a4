// Dot products of bf16 weight rows (read in place) with float32 activation rows, exact float32 products.
// A 32-bit lane of loaded weights holds bf16 columns 2d (low half) and 2d+1 (high half); a bf16 is the
// upper half of a float32, so `lane << 16` and `lane & 0xFFFF0000` are those two columns as floats
// (two instructions per 32 weights). The activations are split once per call into even and odd columns
// (Bf16Activations) to meet them. No VDPBF16PS: .NET 10 has no AVX512_BF16 intrinsics, and it would round
// the activations to bf16; this path already streams faster than memory delivers (docs/perf.md).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using K2Native.Numerics;

namespace K2Native.Backends.Cpu;

/// <summary>Activation rows as the bf16 kernels read them: Even[b] = x[2b], Odd[b] = x[2b+1], zero-padded to 32 columns.</summary>
internal readonly unsafe struct Bf16Activations
{
    /// <summary>Rows are padded to this many columns (one Vector512 of bf16).</summary>
    public const int Block = 32;

    private Bf16Activations(StridedView x, float* memory)
    {
        X = x;
        PaddedCols = (x.Cols + Block - 1) / Block * Block;
        Even = memory;
        Odd = memory + (long)x.Rows * PaddedCols / 2;
    }

    /// <summary>The activations in natural order.</summary>
    public StridedView X { get; }

    public int PaddedCols { get; }

    public float* Even { get; }

    public float* Odd { get; }

    public float* EvenRow(int r) => Even + (long)r * PaddedCols / 2;

    public float* OddRow(int r) => Odd + (long)r * PaddedCols / 2;

    public static long FloatsNeeded(int rows, int cols) => (long)rows * ((cols + Block - 1) / Block * Block);

    /// <summary>Splits every row of x into <paramref name="memory"/> (64-byte aligned, FloatsNeeded long).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static Bf16Activations Split(StridedView x, float* memory, SimdWidth width)
    {
        var a = new Bf16Activations(x, memory);
        int half = a.PaddedCols / 2;
        var evenIndex = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        for (int r = 0; r < x.Rows; r++)
        {
            float* src = x.Row(r), even = a.EvenRow(r), odd = a.OddRow(r);
            int b = 0;
            if (width == SimdWidth.V512)
            {
                for (; 2 * b + 32 <= x.Cols; b += 16)
                {
                    var lo = Vector512.Load(src + 2 * b);
                    var hi = Vector512.Load(src + 2 * b + 16);
                    Avx512F.PermuteVar16x32x2(lo, evenIndex, hi).Store(even + b);
                    Avx512F.PermuteVar16x32x2(lo, evenIndex + Vector512<int>.One, hi).Store(odd + b);
                }
            }
            for (; 2 * b + 1 < x.Cols; b++)
            {
                even[b] = src[2 * b];
                odd[b] = src[2 * b + 1];
            }
            for (; b < half; b++)
            {
                even[b] = 2 * b < x.Cols ? src[2 * b] : 0f;
                odd[b] = 0f;
            }
        }
        return a;
    }
}

/// <summary>The bf16 row kernels at one vector width.</summary>
internal unsafe interface IBf16Op
{
    /// <summary>y[i·stride] = row r + i·stride of w [.., cols] dotted with activation row t, i = 0..3.</summary>
    static abstract void Rows4(ushort* w, int cols, int r, int stride, Bf16Activations x, int t, float* y);

    /// <summary>Row r of w dotted with activation row t.</summary>
    static abstract float Row(ushort* w, int cols, int r, Bf16Activations x, int t);
}

internal readonly unsafe struct Bf16Scalar : IBf16Op
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows4(ushort* w, int cols, int r, int stride, Bf16Activations x, int t, float* y)
    {
        for (int i = 0; i < 4; i++) y[i * stride] = Row(w, cols, r + i * stride, x, t);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Row(ushort* w, int cols, int r, Bf16Activations x, int t)
    {
        ushort* row = w + (long)r * cols;
        float* xt = x.X.Row(t);
        float acc = 0;
        for (int c = 0; c < cols; c++) acc = MathF.FusedMultiplyAdd(Bf16.ToFloat(row[c]), xt[c], acc);
        return acc;
    }
}

internal readonly unsafe struct Bf16V512 : IBf16Op
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows4(ushort* w, int cols, int r, int stride, Bf16Activations x, int t, float* y)
    {
        long step = (long)stride * cols;
        ushort* w0 = w + (long)r * cols, w1 = w0 + step, w2 = w1 + step, w3 = w2 + step;
        float* even = x.EvenRow(t), odd = x.OddRow(t);
        var e0 = Vector512<float>.Zero;
        var e1 = e0;
        var e2 = e0;
        var e3 = e0;
        var o0 = e0;
        var o1 = e0;
        var o2 = e0;
        var o3 = e0;
        int blocks = cols / 32;
        for (int j = 0; j < blocks; j++)
        {
            var xe = Vector512.Load(even + 16 * j);
            var xo = Vector512.Load(odd + 16 * j);
            Step(Vector512.Load(w0 + 32 * j), xe, xo, ref e0, ref o0);
            Step(Vector512.Load(w1 + 32 * j), xe, xo, ref e1, ref o1);
            Step(Vector512.Load(w2 + 32 * j), xe, xo, ref e2, ref o2);
            Step(Vector512.Load(w3 + 32 * j), xe, xo, ref e3, ref o3);
        }
        if (cols % 32 != 0)
        {
            var mask = TailMask(cols % 32);
            var xe = Vector512.Load(even + 16 * blocks);
            var xo = Vector512.Load(odd + 16 * blocks);
            Step(Avx512BW.MaskLoad(w0 + 32 * blocks, mask, default), xe, xo, ref e0, ref o0);
            Step(Avx512BW.MaskLoad(w1 + 32 * blocks, mask, default), xe, xo, ref e1, ref o1);
            Step(Avx512BW.MaskLoad(w2 + 32 * blocks, mask, default), xe, xo, ref e2, ref o2);
            Step(Avx512BW.MaskLoad(w3 + 32 * blocks, mask, default), xe, xo, ref e3, ref o3);
        }
        y[0] = Vector512.Sum(e0 + o0);
        y[stride] = Vector512.Sum(e1 + o1);
        y[2 * stride] = Vector512.Sum(e2 + o2);
        y[3 * stride] = Vector512.Sum(e3 + o3);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Row(ushort* w, int cols, int r, Bf16Activations x, int t)
    {
        ushort* row = w + (long)r * cols;
        float* even = x.EvenRow(t), odd = x.OddRow(t);
        var e = Vector512<float>.Zero;
        var o = e;
        int blocks = cols / 32;
        for (int j = 0; j < blocks; j++) Step(Vector512.Load(row + 32 * j), Vector512.Load(even + 16 * j), Vector512.Load(odd + 16 * j), ref e, ref o);
        if (cols % 32 != 0)
            Step(Avx512BW.MaskLoad(row + 32 * blocks, TailMask(cols % 32), default), Vector512.Load(even + 16 * blocks), Vector512.Load(odd + 16 * blocks), ref e, ref o);
        return Vector512.Sum(e + o);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step(Vector512<ushort> bits, Vector512<float> xe, Vector512<float> xo, ref Vector512<float> e, ref Vector512<float> o)
    {
        var lanes = bits.AsUInt32();
        e = Vector512.FusedMultiplyAdd(Vector512.ShiftLeft(lanes, 16).AsSingle(), xe, e);
        o = Vector512.FusedMultiplyAdd((lanes & Vector512.Create(0xFFFF0000u)).AsSingle(), xo, o);
    }

    private static Vector512<ushort> TailMask(int count) => Vector512.LessThan(Vector512<ushort>.Indices, Vector512.Create((ushort)count));
}

internal readonly unsafe struct Bf16V256 : IBf16Op
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows4(ushort* w, int cols, int r, int stride, Bf16Activations x, int t, float* y)
    {
        long step = (long)stride * cols;
        ushort* w0 = w + (long)r * cols, w1 = w0 + step, w2 = w1 + step, w3 = w2 + step;
        float* even = x.EvenRow(t), odd = x.OddRow(t);
        var e0 = Vector256<float>.Zero;
        var e1 = e0;
        var e2 = e0;
        var e3 = e0;
        var o0 = e0;
        var o1 = e0;
        var o2 = e0;
        var o3 = e0;
        int blocks = cols / 16;
        for (int j = 0; j < blocks; j++)
        {
            var xe = Vector256.Load(even + 8 * j);
            var xo = Vector256.Load(odd + 8 * j);
            Step(Vector256.Load(w0 + 16 * j), xe, xo, ref e0, ref o0);
            Step(Vector256.Load(w1 + 16 * j), xe, xo, ref e1, ref o1);
            Step(Vector256.Load(w2 + 16 * j), xe, xo, ref e2, ref o2);
            Step(Vector256.Load(w3 + 16 * j), xe, xo, ref e3, ref o3);
        }
        y[0] = Vector256.Sum(e0 + o0) + Tail(w0, cols, blocks * 16, x.X.Row(t));
        y[stride] = Vector256.Sum(e1 + o1) + Tail(w1, cols, blocks * 16, x.X.Row(t));
        y[2 * stride] = Vector256.Sum(e2 + o2) + Tail(w2, cols, blocks * 16, x.X.Row(t));
        y[3 * stride] = Vector256.Sum(e3 + o3) + Tail(w3, cols, blocks * 16, x.X.Row(t));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Row(ushort* w, int cols, int r, Bf16Activations x, int t)
    {
        ushort* row = w + (long)r * cols;
        float* even = x.EvenRow(t), odd = x.OddRow(t);
        var e = Vector256<float>.Zero;
        var o = e;
        int blocks = cols / 16;
        for (int j = 0; j < blocks; j++) Step(Vector256.Load(row + 16 * j), Vector256.Load(even + 8 * j), Vector256.Load(odd + 8 * j), ref e, ref o);
        return Vector256.Sum(e + o) + Tail(row, cols, blocks * 16, x.X.Row(t));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step(Vector256<ushort> bits, Vector256<float> xe, Vector256<float> xo, ref Vector256<float> e, ref Vector256<float> o)
    {
        var lanes = bits.AsUInt32();
        e = Vector256.FusedMultiplyAdd(Vector256.ShiftLeft(lanes, 16).AsSingle(), xe, e);
        o = Vector256.FusedMultiplyAdd((lanes & Vector256.Create(0xFFFF0000u)).AsSingle(), xo, o);
    }

    /// <summary>The last cols % 16 columns: AVX2 has no 16-bit masked load, and a wider one could fault past the matrix.</summary>
    private static float Tail(ushort* row, int cols, int from, float* x)
    {
        float acc = 0;
        for (int c = from; c < cols; c++) acc = MathF.FusedMultiplyAdd(Bf16.ToFloat(row[c]), x[c], acc);
        return acc;
    }
}

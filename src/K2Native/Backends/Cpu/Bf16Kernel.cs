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

/// <summary>
/// Activation rows as the bf16 kernels read them: Even[b] = x[2b], Odd[b] = x[2b+1], zero-padded to 32 columns.
/// </summary>
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

/// <summary>The bf16 problem of one activation row: weights [.., Cols] and row t of the activations.</summary>
internal readonly unsafe struct Bf16Dot(ushort* w, int cols, Bf16Activations x, int t) : IRowProblem
{
    public ushort* W { get; } = w;

    public int Cols { get; } = cols;

    public float* Even { get; } = x.EvenRow(t);

    public float* Odd { get; } = x.OddRow(t);

    /// <summary>Row t in natural order.</summary>
    public float* X { get; } = x.X.Row(t);

    public WeightRow Row(int r) => new(W + (long)r * Cols);
}

/// <summary>The bf16 row kernels at one vector width.</summary>
internal unsafe interface IBf16Op
{
    /// <summary>y[n - n0] = row n of the weights · the activation row, n in [n0, n1) (RowDriver.Rows).</summary>
    static abstract void Rows(Bf16Dot d, int n0, int n1, float* y);
}

internal readonly unsafe struct Bf16Scalar : IBf16Op, IRowOp<Bf16Dot, float, float>
{
    public static int RowsPerPass => 1;

    public static int BlockCols => 1;

    public static void Rows(Bf16Dot d, int n0, int n1, float* y) =>
        RowDriver<Bf16Scalar, Bf16Dot, float, float>.Rows(d, n0, n1, y);

    public static float Load(in Bf16Dot d, int j) => d.X[j];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Step(in Bf16Dot d, in float x, WeightRow w, int j, float acc) =>
        MathF.FusedMultiplyAdd(Bf16.ToFloat(((ushort*)w.Data)[j]), x, acc);

    public static float Sum(float acc) => acc;

    /// <summary>Columns [from, to) of row w, from zero (the tail of the Vector256 operator).</summary>
    public static float Columns(in Bf16Dot d, WeightRow w, int from, int to)
    {
        float acc = 0;
        for (int c = from; c < to; c++) acc = Step(d, d.X[c], w, c, acc);
        return acc;
    }
}

internal readonly unsafe struct Bf16V512 : IBf16Op, IRowOp<Bf16Dot, Bf16V512.Block, Bf16V512.Acc>
{
    public static int RowsPerPass => 4;

    public static int BlockCols => 32;

    public static void Rows(Bf16Dot d, int n0, int n1, float* y) =>
        RowDriver<Bf16V512, Bf16Dot, Block, Acc>.Rows(d, n0, n1, y);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block Load(in Bf16Dot d, int j) =>
        new(Vector512.Load(d.Even + 16 * j), Vector512.Load(d.Odd + 16 * j), default);

    /// <summary>The activations are zero-padded to 32 columns; the weights are read under a mask.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block LoadTail(in Bf16Dot d, int j, int count) =>
        new(Vector512.Load(d.Even + 16 * j), Vector512.Load(d.Odd + 16 * j),
            Vector512.LessThan(Vector512<ushort>.Indices, Vector512.Create((ushort)count)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Acc Step(in Bf16Dot d, in Block x, WeightRow w, int j, Acc acc) =>
        Fma(Vector512.Load((ushort*)w.Data + 32 * j), x, acc);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Acc StepTail(in Bf16Dot d, in Block x, WeightRow w, int j, int count, Acc acc) =>
        Fma(Avx512BW.MaskLoad((ushort*)w.Data + 32 * j, x.Mask, default), x, acc);

    public static float Sum(Acc acc) => Vector512.Sum(acc.Even + acc.Odd);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Acc Fma(Vector512<ushort> bits, in Block x, Acc acc)
    {
        var lanes = bits.AsUInt32();
        return new(Vector512.FusedMultiplyAdd(Vector512.ShiftLeft(lanes, 16).AsSingle(), x.Even, acc.Even),
            Vector512.FusedMultiplyAdd((lanes & Vector512.Create(0xFFFF0000u)).AsSingle(), x.Odd, acc.Odd));
    }

    /// <summary>32 columns of activations (and, in the last block, the mask of the columns that exist).</summary>
    public readonly record struct Block(Vector512<float> Even, Vector512<float> Odd, Vector512<ushort> Mask);

    /// <summary>Sums over even and odd columns.</summary>
    public readonly record struct Acc(Vector512<float> Even, Vector512<float> Odd);
}

internal readonly unsafe struct Bf16V256 : IBf16Op, IRowOp<Bf16Dot, Bf16V256.Block, Bf16V256.Acc>
{
    public static int RowsPerPass => 4;

    public static int BlockCols => 16;

    public static void Rows(Bf16Dot d, int n0, int n1, float* y) =>
        RowDriver<Bf16V256, Bf16Dot, Block, Acc>.Rows(d, n0, n1, y);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block Load(in Bf16Dot d, int j) => new(Vector256.Load(d.Even + 8 * j), Vector256.Load(d.Odd + 8 * j));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Acc Step(in Bf16Dot d, in Block x, WeightRow w, int j, Acc acc)
    {
        var lanes = Vector256.Load((ushort*)w.Data + 16 * j).AsUInt32();
        return new(Vector256.FusedMultiplyAdd(Vector256.ShiftLeft(lanes, 16).AsSingle(), x.Even, acc.Even),
            Vector256.FusedMultiplyAdd((lanes & Vector256.Create(0xFFFF0000u)).AsSingle(), x.Odd, acc.Odd), acc.Rest);
    }

    /// <summary>
    /// The last cols % 16 columns, scalar and summed apart: AVX2 has no 16-bit masked load, and a wider one could
    /// fault past the matrix.
    /// </summary>
    public static Acc StepTail(in Bf16Dot d, in Block x, WeightRow w, int j, int count, Acc acc) =>
        acc with { Rest = Bf16Scalar.Columns(d, w, 16 * j, 16 * j + count) };

    public static float Sum(Acc acc) => Vector256.Sum(acc.Even + acc.Odd) + acc.Rest;

    /// <summary>16 columns of activations.</summary>
    public readonly record struct Block(Vector256<float> Even, Vector256<float> Odd);

    /// <summary>Sums over even and odd columns, and the scalar sum of the last columns.</summary>
    public readonly record struct Acc(Vector256<float> Even, Vector256<float> Odd, float Rest);
}

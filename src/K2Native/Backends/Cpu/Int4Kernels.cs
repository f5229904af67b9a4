// INT4 (compressed-tensors pack-quantized) x float32 row kernel, reading the checkpoint layout in place:
// the exact path (Int4Activations.Float32), and the one for group sizes other than 32.
// A packed word c holds input columns 8c..8c+7 as nibbles 0..7, value = nibble - 8, and all eight
// share one group scale. The vector path processes L words per block (L = 16 for Vector512, 8 for
// Vector256): extracting nibble i of every lane yields columns {8c+i}, so activations are permuted
// once per call into that order (PermuteActivations) and the weights are never shuffled.
// Words past the last full block stay in natural order and run scalar. RowDriver.cs owns the loops.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using K2Native.Numerics;

namespace K2Native.Backends.Cpu;

internal static unsafe class Int4Kernels
{
    /// <summary>Words per vector block: 16 (Vector512), 8 (Vector256), 0 (scalar: natural order only).</summary>
    public static int Lanes(SimdWidth width) => width switch
    {
        SimdWidth.V512 => 16,
        SimdWidth.V256 => 8,
        _ => 0,
    };

    /// <summary>
    /// xp = x in the column order the vector path consumes (blocks of 8L columns transposed, tail natural).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PermuteActivations(float* x, float* xp, int cols, SimdWidth width)
    {
        int lanes = Lanes(width);
        int blocks = lanes == 0 ? 0 : cols / 8 / lanes;
        int span = 8 * lanes;
        for (int b = 0; b < blocks; b++)
        {
            float* src = x + b * span;
            float* dst = xp + b * span;
            for (int j = 0; j < lanes; j++)
                for (int i = 0; i < 8; i++)
                    dst[i * lanes + j] = src[j * 8 + i];
        }
        for (int c = blocks * span; c < cols; c++) xp[c] = x[c];
    }

    /// <summary>sv[j] = scale of word firstWord + j.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void FillScales(ushort* scales, int firstWord, int count, int wordsPerGroup, float* sv)
    {
        int group = firstWord / wordsPerGroup;
        int inGroup = firstWord - group * wordsPerGroup;
        float scale = Bf16.ToFloat(scales[group]);
        for (int j = 0; j < count; j++)
        {
            sv[j] = scale;
            if (++inGroup == wordsPerGroup && j + 1 < count)
            {
                inGroup = 0;
                scale = Bf16.ToFloat(scales[++group]);
            }
        }
    }
}

/// <summary>
/// The INT4 x float32 problem of one activation row: packed words [.., Cols/8], bf16 scales [.., Cols/GroupSize],
/// the row permuted (Int4Kernels.PermuteActivations), and room for one vector of scales.
/// </summary>
internal readonly unsafe struct Int4FloatDot(int* packed, ushort* scales, int cols, int groupSize, float* xp, float* sv)
    : IRowProblem
{
    public int Cols { get; } = cols;

    public int WordsPerGroup { get; } = groupSize / 8;

    public float* Xp { get; } = xp;

    /// <summary>16 floats of scratch for the scales of one block.</summary>
    public float* Sv { get; } = sv;

    private readonly int* _packed = packed;

    private readonly ushort* _scales = scales;

    private readonly int _groups = cols / groupSize;

    public WeightRow Row(int r) => new(_packed + (long)r * (Cols / 8), _scales + (long)r * _groups);
}

/// <summary>A vector sum and, once the natural-order words past the last block have run, the scalar total.</summary>
internal readonly record struct Int4FloatAcc<TVector>(TVector Vector, float Rest) where TVector : struct;

/// <summary>One packed word at a time, natural order (also the tail of the vector operators).</summary>
internal readonly unsafe struct Int4FloatScalar : IRowOp<Int4FloatDot, NoBlock, float>
{
    public static int RowsPerPass => 1;

    public static int BlockCols => 8;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Step(in Int4FloatDot d, in NoBlock x, WeightRow w, int c, float acc)
    {
        uint word = ((uint*)w.Data)[c];
        float* xc = d.Xp + c * 8;
        float part = 0;
        for (int i = 0; i < 8; i++) part = MathF.FusedMultiplyAdd((int)((word >> (4 * i)) & 0xF) - 8, xc[i], part);
        return MathF.FusedMultiplyAdd(part, Bf16.ToFloat(((ushort*)w.Scales)[c / d.WordsPerGroup]), acc);
    }

    public static float Sum(float acc) => acc;

    /// <summary>acc continued over words [from, to).</summary>
    public static float Words(in Int4FloatDot d, WeightRow w, int from, int to, float acc)
    {
        for (int c = from; c < to; c++) acc = Step(d, default, w, c, acc);
        return acc;
    }
}

/// <summary>
/// Blocks of Count words (8·Count columns); the words past the last block run scalar, after the vector sum.
/// </summary>
internal readonly unsafe struct Int4FloatVector<TVector> : IRowOp<Int4FloatDot, NoBlock, Int4FloatAcc<TVector>>
    where TVector : struct, IFloatVector<TVector>
{
    public static int RowsPerPass => 1;

    public static int BlockCols => 8 * TVector.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Int4FloatAcc<TVector> Step(in Int4FloatDot d, in NoBlock x, WeightRow w, int b,
        Int4FloatAcc<TVector> acc)
    {
        int lanes = TVector.Count;
        var part = TVector.Int4Block((uint*)w.Data + b * lanes, d.Xp + b * 8 * lanes);
        Int4Kernels.FillScales((ushort*)w.Scales, b * lanes, lanes, d.WordsPerGroup, d.Sv);
        return acc with { Vector = TVector.FusedMultiplyAdd(part, TVector.Load(d.Sv), acc.Vector) };
    }

    public static Int4FloatAcc<TVector> StepTail(in Int4FloatDot d, in NoBlock x, WeightRow w, int b, int count,
        Int4FloatAcc<TVector> acc)
    {
        int first = b * TVector.Count;
        return new(default, Int4FloatScalar.Words(d, w, first, first + count / 8, TVector.Sum(acc.Vector)));
    }

    public static float Sum(Int4FloatAcc<TVector> acc) => TVector.Sum(acc.Vector) + acc.Rest;
}

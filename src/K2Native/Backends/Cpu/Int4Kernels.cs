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

/// <summary>The INT4 x float32 row kernels at one vector width.</summary>
internal unsafe interface IInt4FloatOp
{
    /// <summary>y[n - n0] = row n · the activation row, n in [n0, n1) (RowDriver.Rows).</summary>
    static abstract void Rows(Int4FloatDot d, int n0, int n1, float* y);
}

/// <summary>A vector sum and, once the natural-order words past the last block have run, the scalar total.</summary>
internal readonly record struct Int4FloatAcc<TVector>(TVector Vector, float Rest) where TVector : struct;

/// <summary>One packed word at a time, natural order (also the tail of the vector operators).</summary>
internal readonly unsafe struct Int4FloatScalar : IInt4FloatOp, IRowOp<Int4FloatDot, NoBlock, float>
{
    public static int RowsPerPass => 1;

    public static int BlockCols => 8;

    public static void Rows(Int4FloatDot d, int n0, int n1, float* y) =>
        RowDriver.Rows<Int4FloatScalar, Int4FloatDot, NoBlock, float>(d, n0, n1, y);

    public static int Cols(in Int4FloatDot d) => d.Cols;

    public static WeightRow Row(in Int4FloatDot d, int r) => d.Row(r);

    public static NoBlock Load(in Int4FloatDot d, int j) => default;

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

/// <summary>Blocks of 16 words (128 columns); the words past the last block run scalar, after the vector sum.</summary>
internal readonly unsafe struct Int4FloatV512
    : IInt4FloatOp, IRowOp<Int4FloatDot, NoBlock, Int4FloatAcc<Vector512<float>>>
{
    public static int RowsPerPass => 1;

    public static int BlockCols => 128;

    public static void Rows(Int4FloatDot d, int n0, int n1, float* y) =>
        RowDriver.Rows<Int4FloatV512, Int4FloatDot, NoBlock, Int4FloatAcc<Vector512<float>>>(d, n0, n1, y);

    public static int Cols(in Int4FloatDot d) => d.Cols;

    public static WeightRow Row(in Int4FloatDot d, int r) => d.Row(r);

    public static NoBlock Load(in Int4FloatDot d, int j) => default;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Int4FloatAcc<Vector512<float>> Step(in Int4FloatDot d, in NoBlock x, WeightRow w, int b,
        Int4FloatAcc<Vector512<float>> acc)
    {
        var q = Vector512.Load((uint*)w.Data + b * 16);
        float* xb = d.Xp + b * 128;
        var part = Vector512<float>.Zero;
        for (int i = 0; i < 8; i++)
        {
            var nibble = (Vector512.ShiftRightLogical(q, 4 * i) & Vector512.Create(0xFu)).AsInt32()
                - Vector512.Create(8);
            part = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(nibble), Vector512.Load(xb + i * 16), part);
        }
        Int4Kernels.FillScales((ushort*)w.Scales, b * 16, 16, d.WordsPerGroup, d.Sv);
        return acc with { Vector = Vector512.FusedMultiplyAdd(part, Vector512.Load(d.Sv), acc.Vector) };
    }

    public static NoBlock LoadTail(in Int4FloatDot d, int j, int count) => default;

    public static Int4FloatAcc<Vector512<float>> StepTail(in Int4FloatDot d, in NoBlock x, WeightRow w, int b,
        int count, Int4FloatAcc<Vector512<float>> acc) =>
        new(default, Int4FloatScalar.Words(d, w, 16 * b, 16 * b + count / 8, Vector512.Sum(acc.Vector)));

    public static float Sum(Int4FloatAcc<Vector512<float>> acc) => Vector512.Sum(acc.Vector) + acc.Rest;
}

/// <summary>Blocks of 8 words (64 columns); the words past the last block run scalar, after the vector sum.</summary>
internal readonly unsafe struct Int4FloatV256
    : IInt4FloatOp, IRowOp<Int4FloatDot, NoBlock, Int4FloatAcc<Vector256<float>>>
{
    public static int RowsPerPass => 1;

    public static int BlockCols => 64;

    public static void Rows(Int4FloatDot d, int n0, int n1, float* y) =>
        RowDriver.Rows<Int4FloatV256, Int4FloatDot, NoBlock, Int4FloatAcc<Vector256<float>>>(d, n0, n1, y);

    public static int Cols(in Int4FloatDot d) => d.Cols;

    public static WeightRow Row(in Int4FloatDot d, int r) => d.Row(r);

    public static NoBlock Load(in Int4FloatDot d, int j) => default;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Int4FloatAcc<Vector256<float>> Step(in Int4FloatDot d, in NoBlock x, WeightRow w, int b,
        Int4FloatAcc<Vector256<float>> acc)
    {
        var q = Vector256.Load((uint*)w.Data + b * 8);
        float* xb = d.Xp + b * 64;
        var part = Vector256<float>.Zero;
        for (int i = 0; i < 8; i++)
        {
            var nibble = (Vector256.ShiftRightLogical(q, 4 * i) & Vector256.Create(0xFu)).AsInt32()
                - Vector256.Create(8);
            part = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(nibble), Vector256.Load(xb + i * 8), part);
        }
        Int4Kernels.FillScales((ushort*)w.Scales, b * 8, 8, d.WordsPerGroup, d.Sv);
        return acc with { Vector = Vector256.FusedMultiplyAdd(part, Vector256.Load(d.Sv), acc.Vector) };
    }

    public static NoBlock LoadTail(in Int4FloatDot d, int j, int count) => default;

    public static Int4FloatAcc<Vector256<float>> StepTail(in Int4FloatDot d, in NoBlock x, WeightRow w, int b,
        int count, Int4FloatAcc<Vector256<float>> acc) =>
        new(default, Int4FloatScalar.Words(d, w, 8 * b, 8 * b + count / 8, Vector256.Sum(acc.Vector)));

    public static float Sum(Int4FloatAcc<Vector256<float>> acc) => Vector256.Sum(acc.Vector) + acc.Rest;
}

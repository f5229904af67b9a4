// INT4 (compressed-tensors pack-quantized) x float32 row kernel, reading the checkpoint layout in place:
// the exact path (Int4Activations.Float32), and the one for group sizes other than 32.
// A packed word c holds input columns 8c..8c+7 as nibbles 0..7, value = nibble - 8, and all eight
// share one group scale. The vector path processes L words per block (L = 16 for Vector512, 8 for
// Vector256): extracting nibble i of every lane yields columns {8c+i}, so activations are permuted
// once per call into that order (PermuteActivations) and the weights are never shuffled.
// Words past the last full block stay in natural order and run scalar.
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

    /// <summary>xp = x in the column order the vector path consumes (blocks of 8L columns transposed, tail natural).</summary>
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

    /// <summary>Σ_k w[k]·x[k] over one INT4 row, x given permuted.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float DotRow(int* packed, ushort* scales, int cols, int groupSize, float* xp, SimdWidth width)
    {
        int words = cols / 8;
        int wordsPerGroup = groupSize / 8;
        int lanes = Lanes(width);
        int blocks = lanes == 0 ? 0 : words / lanes;
        float sum = 0;
        if (width == SimdWidth.V512 && blocks > 0)
        {
            var acc = Vector512<float>.Zero;
            float* sv = stackalloc float[16];
            for (int b = 0; b < blocks; b++)
            {
                var q = Vector512.Load((uint*)packed + b * 16);
                float* xb = xp + b * 128;
                var part = Vector512<float>.Zero;
                for (int i = 0; i < 8; i++)
                    part = Vector512.FusedMultiplyAdd(Nibble512(q, i), Vector512.Load(xb + i * 16), part);
                FillScales(scales, b * 16, 16, wordsPerGroup, sv);
                acc = Vector512.FusedMultiplyAdd(part, Vector512.Load(sv), acc);
            }
            sum = Vector512.Sum(acc);
        }
        else if (width == SimdWidth.V256 && blocks > 0)
        {
            var acc = Vector256<float>.Zero;
            float* sv = stackalloc float[8];
            for (int b = 0; b < blocks; b++)
            {
                var q = Vector256.Load((uint*)packed + b * 8);
                float* xb = xp + b * 64;
                var part = Vector256<float>.Zero;
                for (int i = 0; i < 8; i++)
                    part = Vector256.FusedMultiplyAdd(Nibble256(q, i), Vector256.Load(xb + i * 8), part);
                FillScales(scales, b * 8, 8, wordsPerGroup, sv);
                acc = Vector256.FusedMultiplyAdd(part, Vector256.Load(sv), acc);
            }
            sum = Vector256.Sum(acc);
        }
        for (int c = blocks * lanes; c < words; c++)
        {
            uint word = (uint)packed[c];
            float* xc = xp + c * 8;
            float part = 0;
            for (int i = 0; i < 8; i++) part = MathF.FusedMultiplyAdd((int)((word >> (4 * i)) & 0xF) - 8, xc[i], part);
            sum = MathF.FusedMultiplyAdd(part, Bf16.ToFloat(scales[c / wordsPerGroup]), sum);
        }
        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Nibble512(Vector512<uint> q, int i) =>
        Vector512.ConvertToSingle((Vector512.ShiftRightLogical(q, 4 * i) & Vector512.Create(0xFu)).AsInt32() - Vector512.Create(8));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Nibble256(Vector256<uint> q, int i) =>
        Vector256.ConvertToSingle((Vector256.ShiftRightLogical(q, 4 * i) & Vector256.Create(0xFu)).AsInt32() - Vector256.Create(8));

    /// <summary>sv[j] = scale of word firstWord + j.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FillScales(ushort* scales, int firstWord, int count, int wordsPerGroup, float* sv)
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

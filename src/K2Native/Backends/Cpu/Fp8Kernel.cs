// Dot products of FP8 e4m3fn weight rows (DeepSeek-V3 block format, read in place: 1 byte per weight plus one
// float32 scale per 128x128 block) with float32 activation rows. Within a block the decoded codes are dotted
// with x in float32 and the block's sum is multiplied by its scale once. This file holds the row driver (passes
// of eight rows an eighth of the chunk apart, four tokens sharing each decoded weight), the scalar reference and
// the Vector256 body; the Vector512 body is Fp8V512.cs with its decoders in Fp8Decoders.cs.
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
    /// <summary>y[i·stride] = row r + i·stride of w dotted with x, i = 0..7 (eight streams, one x load).</summary>
    static abstract void Rows8(Fp8Rows w, int r, int stride, float* x, float u, float* y);

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
    /// y[n - n0] = row n of w · x, n in [n0, n1), eight sequential streams at a time (see MatMulKernel).
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
        int m = (n1 - n0) / 8;
        for (int i = 0; i < m; i++) TOp.Rows8(w, n0 + i, m, x, u, y + i);
        for (int n = n0 + 8 * m; n < n1; n++) y[n - n0] = TOp.Row(w, n, x, u);
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

    /// <summary>
    /// dst[0..Cols) = row r of w dequantized: code · scale, one rounding, the same floats at every width (absorbed
    /// MLA reads kv_b this way every step, 8.4 M weights per layer in K2, so it must not be the scalar conversion).
    /// </summary>
    public static void DequantizeRow(Fp8Rows w, int r, float* dst, SimdWidth width)
    {
        byte* row = w.Row(r);
        float* scales = w.ScaleRow(r);
        int c = 0;
        if (width == SimdWidth.V512)
        {
            // 16 columns never straddle a 128-column block; the exact decode gives code·2^-8, times 256 exactly.
            var unscale = Vector512.Create(Fp8V512.Unscale);
            for (; c + 16 <= w.Cols; c += 16)
                (Fp8V512.Decode(Vector128.Load((sbyte*)row + c)) * unscale * Vector512.Create(scales[c / Block]))
                    .Store(dst + c);
        }
        else if (width == SimdWidth.V256)
        {
            for (; c + 8 <= w.Cols; c += 8)
                (Fp8V256.Decode(Avx2.ConvertToVector256Int32((sbyte*)row + c)) * Vector256.Create(scales[c / Block]))
                    .Store(dst + c);
        }
        float[] table = Fp8E4M3.Table;
        for (; c < w.Cols; c++) dst[c] = table[row[c]] * scales[c / Block];
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
    public static void Rows8(Fp8Rows w, int r, int stride, float* x, float u, float* y)
    {
        for (int i = 0; i < 8; i++) y[i * stride] = Row(w, r + i * stride, x, u);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Row(Fp8Rows w, int r, float* x, float u) => Fp8Kernel.ScalarRow(w, r, x);
}

internal readonly unsafe struct Fp8V256 : IFp8Op
{
    private const int Block = MatrixSource.Fp8Block;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows8(Fp8Rows w, int r, int stride, float* x, float u, float* y)
    {
        for (int i = 0; i < 8; i++) y[i * stride] = Row(w, r + i * stride, x, u);
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
    internal static Vector256<float> Decode(Vector256<int> codes)
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

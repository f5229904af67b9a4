// Weight matrices in native memory for kernel tests: a MatrixSource the kernels read, plus the same
// values as a dense float array for the plain reference.
using System.Runtime.InteropServices;
using K2Native.Applications.Synth;
using K2Native.Checkpoint;
using K2Native.Numerics;

namespace K2Native.Tests.Support;

internal sealed unsafe class TestMatrix : IDisposable
{
    private readonly List<nint> _allocations = [];
    private byte* _fp8Codes;
    private float[]? _fp8Scales;

    private TestMatrix(int rows, int cols) { Rows = rows; Cols = cols; Dense = new float[rows * cols]; }

    public int Rows { get; }
    public int Cols { get; }

    /// <summary>The exact values the stored matrix represents, row-major.</summary>
    public float[] Dense { get; }

    public MatrixSource Source { get; private set; } = null!;

    public static TestMatrix Bf16(int rows, int cols, ulong seed, float scale = 1f)
    {
        var m = new TestMatrix(rows, cols);
        var bits = TestData.RandomBf16(rows * cols, seed, scale);
        for (int i = 0; i < bits.Length; i++) m.Dense[i] = K2Native.Numerics.Bf16.ToFloat(bits[i]);
        m.Source = MatrixSource.FromBf16($"bf16[{rows}x{cols}]", rows, cols, m.Copy(bits));
        return m;
    }

    /// <summary>Random nibbles (all 16 values, words often negative) and random positive bf16 scales.</summary>
    public static TestMatrix Int4(int rows, int cols, int groupSize, ulong seed)
    {
        var m = new TestMatrix(rows, cols);
        var rng = new SplitMix64(seed);
        var packed = new int[rows * cols / 8];
        for (int i = 0; i < packed.Length; i++) packed[i] = (int)rng.Next();
        var scales = new ushort[rows * cols / groupSize];
        for (int i = 0; i < scales.Length; i++)
            scales[i] = K2Native.Numerics.Bf16.FromFloat(0.01f + 0.1f * rng.NextFloat());
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                m.Dense[r * cols + c] = Int4Packing.Dequantize(packed, scales, cols, groupSize, r, c);
        m.Source = MatrixSource.FromInt4($"int4[{rows}x{cols}]", rows, cols, groupSize, m.Copy(packed), m.Copy(scales));
        return m;
    }

    /// <summary>
    /// Every e4m3fn code but the two NaNs (subnormals and both zeros included) at random, and random positive float32
    /// block scales [ceil(rows/128), ceil(cols/128)]; Dense is decoded by <see cref="Fp8Reference"/>. normalOnly
    /// leaves out the codes of exponent 0 too (as in real weights, where they are rare): <see cref="SetCode"/>
    /// plants them where a test wants them.
    /// </summary>
    public static TestMatrix Fp8(int rows, int cols, ulong seed, bool normalOnly = false)
    {
        var m = new TestMatrix(rows, cols);
        var rng = new SplitMix64(seed);
        var codes = new byte[rows * cols];
        for (int i = 0; i < codes.Length; i++)
        {
            codes[i] = (byte)rng.Next();
            if ((codes[i] & 0x7F) == 0x7F) codes[i] ^= 1;
            if (normalOnly && (codes[i] & 0x78) == 0) codes[i] |= 0x08;
        }
        int blockRows = (rows + 127) / 128, blockCols = (cols + 127) / 128;
        var scales = new float[blockRows * blockCols];
        for (int i = 0; i < scales.Length; i++) scales[i] = 1e-3f + 1e-2f * rng.NextFloat();
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                m.Dense[r * cols + c] = (float)(
                    Fp8Reference.Value(codes[r * cols + c]) * scales[r / 128 * blockCols + c / 128]);
        m._fp8Codes = m.Copy(codes);
        m._fp8Scales = scales;
        m.Source = MatrixSource.FromFp8($"fp8[{rows}x{cols}]", rows, cols, m._fp8Codes, m.Copy(scales));
        return m;
    }

    /// <summary>Replaces one code of an FP8 matrix, in the stored bytes and in Dense.</summary>
    public void SetCode(int row, int col, byte code)
    {
        if (_fp8Scales is null) throw new InvalidOperationException("not an FP8 test matrix");
        _fp8Codes[row * Cols + col] = code;
        int blockCols = (Cols + 127) / 128;
        Dense[row * Cols + col] = (float)(Fp8Reference.Value(code) * _fp8Scales[row / 128 * blockCols + col / 128]);
    }

    public void Dispose()
    {
        foreach (var p in _allocations) NativeMemory.Free((void*)p);
        _allocations.Clear();
    }

    private T* Copy<T>(T[] values) where T : unmanaged
    {
        var p = (T*)NativeMemory.Alloc((nuint)Math.Max(1, values.Length), (nuint)sizeof(T));
        values.AsSpan().CopyTo(new Span<T>(p, values.Length));
        _allocations.Add((nint)p);
        return p;
    }
}

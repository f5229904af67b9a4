// Inputs for backend comparisons: random float rows and weight matrices in native memory (what MatrixSource reads),
// freed together when the arena is disposed.
using System.Runtime.InteropServices;
using K2Native.Checkpoint;
using K2Native.Numerics;

namespace K2Native.Backends.Verification;

internal sealed unsafe class HostData(ulong seed) : IDisposable
{
    private readonly List<nint> _allocations = [];
    private SplitMix64 _rng = new(seed);

    public float[] Floats(int n, float scale = 1f)
    {
        var values = new float[n];
        for (int i = 0; i < n; i++) values[i] = _rng.NextSymmetric(scale);
        return values;
    }

    public int Int(int n) => _rng.NextInt(n);

    public MatrixSource Bf16(int rows, int cols, float scale = 0.5f)
    {
        var bits = (ushort*)Alloc(2L * rows * cols);
        for (long i = 0; i < (long)rows * cols; i++) bits[i] = Bf16Bits(_rng.NextSymmetric(scale));
        return MatrixSource.FromBf16($"bf16[{rows}x{cols}]", rows, cols, bits);
    }

    /// <summary>Random nibbles (words often negative) and positive bf16 group scales.</summary>
    public MatrixSource Int4(int rows, int cols, int groupSize = 32)
    {
        var packed = (int*)Alloc(4L * rows * (cols / 8));
        for (long i = 0; i < (long)rows * (cols / 8); i++) packed[i] = (int)_rng.Next();
        var scales = (ushort*)Alloc(2L * rows * (cols / groupSize));
        for (long i = 0; i < (long)rows * (cols / groupSize); i++)
            scales[i] = Bf16Bits(0.01f + 0.05f * _rng.NextFloat());
        return MatrixSource.FromInt4($"int4[{rows}x{cols}]", rows, cols, groupSize, packed, scales);
    }

    /// <summary>Every e4m3 code but the NaNs at random, and positive float32 128x128 block scales.</summary>
    public MatrixSource Fp8(int rows, int cols)
    {
        var codes = (byte*)Alloc((long)rows * cols);
        for (long i = 0; i < (long)rows * cols; i++)
        {
            byte code = (byte)_rng.Next();
            codes[i] = Fp8E4M3.IsNaN(code) ? (byte)(code ^ 1) : code;
        }
        long blocks = (long)((rows + 127) / 128) * ((cols + 127) / 128);
        var scales = (float*)Alloc(4 * blocks);
        for (long i = 0; i < blocks; i++) scales[i] = 1e-4f + 2e-4f * _rng.NextFloat();
        return MatrixSource.FromFp8($"fp8[{rows}x{cols}]", rows, cols, codes, scales);
    }

    /// <summary>A random matrix of <paramref name="format"/>.</summary>
    public MatrixSource Matrix(WeightFormat format, int rows, int cols) => format switch
    {
        WeightFormat.Int4 => Int4(rows, cols),
        WeightFormat.Fp8 => Fp8(rows, cols),
        _ => Bf16(rows, cols),
    };

    /// <summary>A bf16 matrix whose rows <paramref name="copies"/>[i] = (a, b) make row b an exact copy of row
    /// a.</summary>
    public MatrixSource Bf16WithCopies(int rows, int cols, (int From, int To)[] copies)
    {
        var m = Bf16(rows, cols);
        var bits = (ushort*)m.Data;
        foreach (var (from, to) in copies)
            new Span<ushort>(bits + (long)from * cols, cols).CopyTo(new Span<ushort>(bits + (long)to * cols, cols));
        return m;
    }

    public void Dispose()
    {
        foreach (var p in _allocations) NativeMemory.Free((void*)p);
        _allocations.Clear();
    }

    private static ushort Bf16Bits(float value) => K2Native.Numerics.Bf16.FromFloat(value);

    private void* Alloc(long bytes)
    {
        void* p = NativeMemory.Alloc((nuint)Math.Max(bytes, 1));
        _allocations.Add((nint)p);
        return p;
    }
}

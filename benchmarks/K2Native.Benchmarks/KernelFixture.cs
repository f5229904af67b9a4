// Weights and activations for the microbenchmarks, in native memory and sized to stay in L2 (1 MiB per core
// on the development machine), so the benchmarks measure the kernels' arithmetic rate, not DRAM: what `k2 bench
// kernels` compares with the read ceiling is how much of that rate survives streaming from memory.
using System.Runtime.InteropServices;
using K2Native.Applications.Synth;
using K2Native.Checkpoint;
using K2Native.Numerics;

namespace K2Native.Benchmarks;

internal sealed unsafe class KernelFixture : IDisposable
{
    private readonly List<nint> _blocks = [];

    public MatrixSource Int4(int rows, int cols)
    {
        var rng = new SplitMix64(1);
        var dense = new float[rows * cols];
        for (int i = 0; i < dense.Length; i++) dense[i] = rng.NextSymmetric(0.05f);
        var (packed, scales) = Int4Packing.Quantize(dense, rows, cols, 32);
        return MatrixSource.FromInt4($"int4[{rows}x{cols}]", rows, cols, 32, Copy(packed), Copy(scales));
    }

    public MatrixSource Bf16(int rows, int cols)
    {
        var rng = new SplitMix64(2);
        var values = new ushort[rows * cols];
        for (int i = 0; i < values.Length; i++) values[i] = Bf16Bits(rng.NextSymmetric(0.05f));
        return MatrixSource.FromBf16($"bf16[{rows}x{cols}]", rows, cols, Copy(values));
    }

    /// <summary>FP8 e4m3 with 128x128 block scales, as `k2 synth --quant fp8` writes them.</summary>
    public MatrixSource Fp8(int rows, int cols)
    {
        var rng = new SplitMix64(4);
        var dense = new float[rows * cols];
        for (int i = 0; i < dense.Length; i++) dense[i] = rng.NextSymmetric(0.05f);
        var (codes, scales) = Fp8Quantizer.Quantize(dense, rows, cols);
        return MatrixSource.FromFp8($"fp8[{rows}x{cols}]", rows, cols, Copy(codes), Copy(scales));
    }

    public float* Floats(int n, float scale = 1f)
    {
        var rng = new SplitMix64(3);
        var values = new float[n];
        for (int i = 0; i < n; i++) values[i] = rng.NextSymmetric(scale);
        return Copy(values);
    }

    public void Dispose()
    {
        foreach (var p in _blocks) NativeMemory.AlignedFree((void*)p);
        _blocks.Clear();
    }

    private static ushort Bf16Bits(float value) => Numerics.Bf16.FromFloat(value);

    private T* Copy<T>(T[] values) where T : unmanaged
    {
        var p = (T*)NativeMemory.AlignedAlloc((nuint)Math.Max(64, values.Length * sizeof(T)), 64);
        values.AsSpan().CopyTo(new Span<T>(p, values.Length));
        _blocks.Add((nint)p);
        return p;
    }
}

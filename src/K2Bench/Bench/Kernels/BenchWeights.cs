// Random weights that look like a real checkpoint's, in native memory, for `k2 bench kernels`: INT4 made by
// the synth writer's quantizer (Int4Packing) from Gaussian values, FP8 by the block quantizer (Fp8Quantizer),
// bf16 from Gaussian values of std 0.02.
// One copy is generated and the others are byte copies of it: distinct memory is what defeats the caches.
using System.Runtime.InteropServices;
using K2Native.Applications.Synth;
using K2Native.Checkpoint;
using K2Native.Numerics;

namespace K2Bench.Bench.Kernels;

internal sealed unsafe class BenchWeights : IDisposable
{
    private readonly List<nint> _blocks = [];

    /// <summary>Total bytes allocated.</summary>
    public long Bytes { get; private set; }

    /// <summary>Copies needed so that the copies of <paramref name="bytesPerCopy"/> together span at least
    /// <paramref name="span"/> bytes.</summary>
    public static int CopiesFor(long bytesPerCopy, long span) => (int)Math.Max(
        1, (span + bytesPerCopy - 1) / bytesPerCopy);

    public MatrixSource[] Int4Matrices(string name, int rows, int cols, int copies, ulong seed)
    {
        var dense = Gaussian(rows * cols, seed, 0.02f);
        var (packed, scales) = Int4Packing.Quantize(dense, rows, cols, 32);
        var result = new MatrixSource[copies];
        for (int c = 0; c < copies; c++)
            result[c] = MatrixSource.FromInt4($"{name}#{c}", rows, cols, 32, Copy(packed), Copy(scales));
        return result;
    }

    public MatrixSource[] Fp8Matrices(string name, int rows, int cols, int copies, ulong seed)
    {
        var (codes, scales) = Fp8Quantizer.Quantize(Gaussian(rows * cols, seed, 0.02f), rows, cols);
        var result = new MatrixSource[copies];
        for (int c = 0; c < copies; c++)
            result[c] = MatrixSource.FromFp8($"{name}#{c}", rows, cols, Copy(codes), Copy(scales));
        return result;
    }

    /// <summary>Matrices of <paramref name="format"/> (bf16, INT4 group 32 or FP8 128x128 blocks).</summary>
    public MatrixSource[] Matrices(WeightFormat format, string name, int rows, int cols, int copies, ulong seed) =>
        format switch
    {
        WeightFormat.Int4 => Int4Matrices(name, rows, cols, copies, seed),
        WeightFormat.Fp8 => Fp8Matrices(name, rows, cols, copies, seed),
        _ => Bf16Matrices(name, rows, cols, copies, seed),
    };

    /// <summary>Bytes of one stored [rows, cols] matrix of <paramref name="format"/>, scales included.</summary>
    public static long StoredBytes(WeightFormat format, int rows, int cols) => format switch
    {
        WeightFormat.Int4 => (long)rows * cols / 2 + (long)rows * cols / 32 * 2,
        WeightFormat.Fp8 => (long)rows * cols + 4L * ((rows + 127) / 128) * ((cols + 127) / 128),
        _ => 2L * rows * cols,
    };

    /// <summary>How a row's shape column names the format.</summary>
    public static string Label(WeightFormat format) => format switch
    {
        WeightFormat.Int4 => "INT4 g32",
        WeightFormat.Fp8 => "FP8 e4m3 128x128",
        _ => "bf16",
    };

    public MatrixSource[] Bf16Matrices(string name, int rows, int cols, int copies, ulong seed)
    {
        const int PatternElements = 1 << 24;
        long elements = (long)rows * cols;
        var pattern = Gaussian((int)Math.Min(elements, PatternElements), seed, 0.02f).Select(Bf16.FromFloat).ToArray();
        var result = new MatrixSource[copies];
        for (int c = 0; c < copies; c++)
        {
            var data = (ushort*)Allocate(elements * sizeof(ushort));
            for (long at = 0; at < elements; at += pattern.Length)
                pattern.AsSpan(0, (int)Math.Min(pattern.Length, elements - at)).CopyTo(
                    new Span<ushort>(data + at, (int)Math.Min(pattern.Length, elements - at)));
            result[c] = MatrixSource.FromBf16($"{name}#{c}", rows, cols, data);
        }
        return result;
    }

    /// <summary>Approximately normal values (sum of four uniforms), reproducible from the seed.</summary>
    public static float[] Gaussian(int n, ulong seed, float std)
    {
        var rng = new SplitMix64(seed);
        var values = new float[n];
        float k = std * MathF.Sqrt(3f);
        for (int i = 0; i < n; i++)
            values[i] = (rng.NextSymmetric(1f) + rng.NextSymmetric(1f) + rng.NextSymmetric(1f) + rng.NextSymmetric(1f))
                * 0.5f * k;
        return values;
    }

    public void Dispose()
    {
        foreach (var block in _blocks) NativeMemory.AlignedFree((void*)block);
        _blocks.Clear();
        Bytes = 0;
    }

    private T* Copy<T>(T[] values) where T : unmanaged
    {
        var p = (T*)Allocate((long)values.Length * sizeof(T));
        values.AsSpan().CopyTo(new Span<T>(p, values.Length));
        return p;
    }

    private void* Allocate(long bytes)
    {
        void* p = NativeMemory.AlignedAlloc((nuint)bytes, 4096);
        _blocks.Add((nint)p);
        Bytes += bytes;
        return p;
    }
}

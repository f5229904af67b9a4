// Random weights that look like a real checkpoint's, in native memory, for `k2 bench kernels`: INT4 made by
// the synth writer's quantizer (Int4Packing) from Gaussian values, bf16 from Gaussian values of std 0.02.
// One copy is generated and the others are byte copies of it: distinct memory is what defeats the caches.
using System.Runtime.InteropServices;
using K2Native.Applications.Synth;
using K2Native.Checkpoint;
using K2Native.Numerics;

namespace K2Bench.Kernels;

internal sealed unsafe class BenchWeights : IDisposable
{
    private readonly List<nint> _blocks = [];

    /// <summary>Total bytes allocated.</summary>
    public long Bytes { get; private set; }

    /// <summary>Copies needed so that the copies of <paramref name="bytesPerCopy"/> together span at least <paramref name="span"/> bytes.</summary>
    public static int CopiesFor(long bytesPerCopy, long span) => (int)Math.Max(1, (span + bytesPerCopy - 1) / bytesPerCopy);

    public MatrixSource[] Int4Matrices(string name, int rows, int cols, int copies, ulong seed)
    {
        var dense = Gaussian(rows * cols, seed, 0.02f);
        var (packed, scales) = Int4Packing.Quantize(dense, rows, cols, 32);
        var result = new MatrixSource[copies];
        for (int c = 0; c < copies; c++)
            result[c] = MatrixSource.FromInt4($"{name}#{c}", rows, cols, 32, Copy(packed), Copy(scales));
        return result;
    }

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
                pattern.AsSpan(0, (int)Math.Min(pattern.Length, elements - at)).CopyTo(new Span<ushort>(data + at, (int)Math.Min(pattern.Length, elements - at)));
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
            values[i] = (rng.NextSymmetric(1f) + rng.NextSymmetric(1f) + rng.NextSymmetric(1f) + rng.NextSymmetric(1f)) * 0.5f * k;
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

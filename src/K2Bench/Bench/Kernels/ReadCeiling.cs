// The read-bandwidth ceiling that `k2 bench kernels` compares every kernel with: a plain Vector512 (or
// Vector256) sum over a buffer far larger than the caches, split into 4 MiB slices over the same worker pool
// the kernels use, each slice read as four interleaved sequential streams (the kernels' access pattern).
// One pass is one measurement; the command interleaves passes with the kernel's samples, because on a
// shared host the bandwidth available drifts within minutes.
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using K2Native.Backends.Cpu;

namespace K2Bench.Bench.Kernels;

internal sealed unsafe class ReadCeiling : IDisposable
{
    private const long SliceBytes = 4 << 20;
    private readonly byte* _buffer;
    private readonly long _bytes;
    private readonly float[] _sink = new float[WorkerPool.Shared.Threads * 16];

    public ReadCeiling(long bytes)
    {
        _bytes = Math.Max(SliceBytes, bytes / SliceBytes * SliceBytes);
        _buffer = (byte*)NativeMemory.AlignedAlloc((nuint)_bytes, 4096);
        NativeMemory.Fill(_buffer, (nuint)_bytes, 0x3C);
        Pass();
    }

    public long Bytes => _bytes;

    /// <summary>GB/s (1e9 bytes per second) of one streaming pass over the buffer.</summary>
    public double Pass()
    {
        var job = new SumJob(_buffer, _sink);
        long start = Stopwatch.GetTimestamp();
        WorkerPool.Shared.Run(ref job, (int)(_bytes / SliceBytes));
        return _bytes / Stopwatch.GetElapsedTime(start).TotalSeconds / 1e9;
    }

    public void Dispose() => NativeMemory.AlignedFree(_buffer);

    private readonly struct SumJob(byte* buffer, float[] sink) : IParallelJob
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Execute(int slice)
        {
            float* p = (float*)(buffer + slice * SliceBytes);
            long quarter = SliceBytes / sizeof(float) / 4;
            float* p0 = p, p1 = p + quarter, p2 = p + 2 * quarter, p3 = p + 3 * quarter;
            float sum;
            if (Vector512.IsHardwareAccelerated)
            {
                var a0 = Vector512<float>.Zero;
                var a1 = a0;
                var a2 = a0;
                var a3 = a0;
                for (long i = 0; i < quarter; i += 32)
                {
                    a0 += Vector512.Load(p0 + i) + Vector512.Load(p0 + i + 16);
                    a1 += Vector512.Load(p1 + i) + Vector512.Load(p1 + i + 16);
                    a2 += Vector512.Load(p2 + i) + Vector512.Load(p2 + i + 16);
                    a3 += Vector512.Load(p3 + i) + Vector512.Load(p3 + i + 16);
                }
                sum = Vector512.Sum(a0 + a1 + a2 + a3);
            }
            else
            {
                var a0 = Vector256<float>.Zero;
                var a1 = a0;
                var a2 = a0;
                var a3 = a0;
                for (long i = 0; i < quarter; i += 16)
                {
                    a0 += Vector256.Load(p0 + i) + Vector256.Load(p0 + i + 8);
                    a1 += Vector256.Load(p1 + i) + Vector256.Load(p1 + i + 8);
                    a2 += Vector256.Load(p2 + i) + Vector256.Load(p2 + i + 8);
                    a3 += Vector256.Load(p3 + i) + Vector256.Load(p3 + i + 8);
                }
                sum = Vector256.Sum(a0 + a1 + a2 + a3);
            }
            sink[slice * 16 % sink.Length] = sum;
        }
    }
}

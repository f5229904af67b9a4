// The math-rate ceiling that `k2 bench kernels` reports beside the read-bandwidth one: float32 fused
// multiply-adds on registers only (twelve independent Vector512 or Vector256 accumulators per thread, enough
// to cover the FMA latency), on every thread of the worker pool. Kernels whose bytes are few for their
// flops (the absorbed attention) are judged against this one.
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using K2Native.Backends.Cpu;

namespace K2Bench.Bench.Kernels;

internal static class MathCeiling
{
    private const int Iterations = 1 << 22;

    /// <summary>GFLOP/s (two per multiply-add) of the best of <paramref name="passes"/> passes.</summary>
    public static double Measure(int passes = 5)
    {
        double best = 0;
        var sink = new float[WorkerPool.Shared.Threads * 16];
        for (int p = 0; p < passes; p++)
        {
            var job = new FmaJob(sink);
            long start = Stopwatch.GetTimestamp();
            WorkerPool.Shared.Run(ref job, WorkerPool.Shared.Threads);
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            best = Math.Max(best, WorkerPool.Shared.Threads * FlopsPerItem / seconds / 1e9);
        }
        return best;
    }

    private static double FlopsPerItem => 2.0 * 12 * Iterations * (Vector512.IsHardwareAccelerated ? 16 : 8);

    private readonly struct FmaJob(float[] sink) : IParallelJob
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Execute(int item)
        {
            float sum;
            if (Vector512.IsHardwareAccelerated)
            {
                var m = Vector512.Create(0.999999f);
                var a = Vector512.Create(1e-7f);
                Vector512<float> c0 = m, c1 = m, c2 = m, c3 = m, c4 = m, c5 = m,
                    c6 = m, c7 = m, c8 = m, c9 = m, c10 = m, c11 = m;
                for (int i = 0; i < Iterations; i++)
                {
                    c0 = Vector512.FusedMultiplyAdd(c0, m, a); c1 = Vector512.FusedMultiplyAdd(c1, m, a);
                    c2 = Vector512.FusedMultiplyAdd(c2, m, a); c3 = Vector512.FusedMultiplyAdd(c3, m, a);
                    c4 = Vector512.FusedMultiplyAdd(c4, m, a); c5 = Vector512.FusedMultiplyAdd(c5, m, a);
                    c6 = Vector512.FusedMultiplyAdd(c6, m, a); c7 = Vector512.FusedMultiplyAdd(c7, m, a);
                    c8 = Vector512.FusedMultiplyAdd(c8, m, a); c9 = Vector512.FusedMultiplyAdd(c9, m, a);
                    c10 = Vector512.FusedMultiplyAdd(c10, m, a); c11 = Vector512.FusedMultiplyAdd(c11, m, a);
                }
                sum = Vector512.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11);
            }
            else
            {
                var m = Vector256.Create(0.999999f);
                var a = Vector256.Create(1e-7f);
                Vector256<float> c0 = m, c1 = m, c2 = m, c3 = m, c4 = m, c5 = m,
                    c6 = m, c7 = m, c8 = m, c9 = m, c10 = m, c11 = m;
                for (int i = 0; i < Iterations; i++)
                {
                    c0 = Vector256.FusedMultiplyAdd(c0, m, a); c1 = Vector256.FusedMultiplyAdd(c1, m, a);
                    c2 = Vector256.FusedMultiplyAdd(c2, m, a); c3 = Vector256.FusedMultiplyAdd(c3, m, a);
                    c4 = Vector256.FusedMultiplyAdd(c4, m, a); c5 = Vector256.FusedMultiplyAdd(c5, m, a);
                    c6 = Vector256.FusedMultiplyAdd(c6, m, a); c7 = Vector256.FusedMultiplyAdd(c7, m, a);
                    c8 = Vector256.FusedMultiplyAdd(c8, m, a); c9 = Vector256.FusedMultiplyAdd(c9, m, a);
                    c10 = Vector256.FusedMultiplyAdd(c10, m, a); c11 = Vector256.FusedMultiplyAdd(c11, m, a);
                }
                sum = Vector256.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11);
            }
            sink[item * 16 % sink.Length] = sum;
        }
    }
}

// `k2 bench kernels` row for the worker pool's own cost: parallel loops back to back (as a decode step issues
// its products), each with one item per thread, where an item waits (at most 1 ms) until a second thread has
// started an item, so that every loop pays the full hand-off to a helper thread and back.
using System.Diagnostics;
using K2Native.Backends;
using K2Native.Backends.Cpu;

namespace K2Bench.Bench.Kernels;

internal sealed class DispatchBench : IKernelBench
{
    private const int LoopsPerSample = 2000;
    private readonly int[] _started = new int[1];

    public string Name => "pool-dispatch";

    public string Shape => $"{WorkerPool.Shared.Threads} threads, one hand-off per loop";

    public long BytesPerCall => 0;

    public double FlopsPerCall => 0;

    public int CallsPerSample => LoopsPerSample;

    public void Prepare(Backend backend) { }

    public void Call(int index)
    {
        _started[0] = 0;
        var job = new HandOffJob(_started, Math.Min(2, WorkerPool.Shared.Threads));
        WorkerPool.Shared.Run(ref job, WorkerPool.Shared.Threads);
    }

    public void Dispose() { }

    private readonly struct HandOffJob(int[] started, int threads) : IParallelJob
    {
        public void Execute(int item)
        {
            Interlocked.Increment(ref started[0]);
            long deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency / 1000;
            while (Volatile.Read(ref started[0]) < threads && Stopwatch.GetTimestamp() < deadline) Thread.SpinWait(1);
        }
    }
}

// A persistent pool of worker threads (one per core, the caller counted) that runs the items of one
// parallel loop at a time. Items are claimed from a shared counter, so a thread that loses its core to
// another process does not hold the others back. After a loop, workers spin for a short while before
// blocking, so the back-to-back products of one decode step start without a kernel wake-up; jobs are
// structs passed by reference, so starting a loop allocates nothing. Nested loops run inline.
// Dispatch overhead is measured by `k2 bench kernels` (row "pool-dispatch").
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;

namespace K2Native.Backends.Cpu;

/// <summary>The body of a parallel loop: Execute(i) for every item i, from any thread.</summary>
internal interface IParallelJob
{
    void Execute(int item);
}

internal sealed unsafe class WorkerPool : IDisposable
{
    /// <summary>
    /// How long an idle worker polls for the next loop before it blocks (a decode step issues loops back to back).
    /// </summary>
    private static readonly long SpinTicks = Stopwatch.Frequency / 5000;

    private readonly Worker[] _workers;
    private LoopState _loop;
    private delegate*<void*, int, void> _invoke;
    private void* _job;
    private int _busy;
    private Exception? _error;
    private volatile bool _disposed;

    public WorkerPool(int threads)
    {
        Threads = Math.Max(1, threads);
        _workers = new Worker[Threads - 1];
        for (int i = 0; i < _workers.Length; i++)
        {
            var worker = _workers[i] = new Worker();
            new Thread(() => WorkerLoop(worker)) { IsBackground = true, Name = $"k2-cpu-{i + 1}" }.Start();
        }
    }

    /// <summary>The process-wide pool, one thread per logical core.</summary>
    public static WorkerPool Shared { get; } = new(Environment.ProcessorCount);

    /// <summary>Threads that run a loop, the caller included.</summary>
    public int Threads { get; }

    /// <summary>Runs job.Execute(0..count-1), spreading items over the pool; returns when all are done.</summary>
    public void Run<TJob>(ref TJob job, int count) where TJob : struct, IParallelJob
    {
        if (count <= 0) return;
        if (count == 1 || _workers.Length == 0 || Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            for (int i = 0; i < count; i++) job.Execute(i);
            return;
        }
        try
        {
            _invoke = &Invoke<TJob>;
            _job = Unsafe.AsPointer(ref job);
            _error = null;
            _loop.Next = 0;
            _loop.Count = count;
            int helpers = Math.Min(_workers.Length, count - 1);
            _loop.Pending = helpers;
            for (int i = 0; i < helpers; i++) _workers[i].Wake();
            Work();
            // Helpers that have not picked up their ticket by now would find nothing left: take the ticket back.
            for (int i = 0; i < helpers; i++)
                if (_workers[i].Revoke()) Interlocked.Decrement(ref _loop.Pending);
            var spin = new SpinWait();
            while (Volatile.Read(ref _loop.Pending) != 0) spin.SpinOnce(sleep1Threshold: -1);
            if (_error is not null) ExceptionDispatchInfo.Throw(_error);
        }
        finally
        {
            _job = null;
            Volatile.Write(ref _busy, 0);
        }
    }

    /// <summary>Runs body(0..count-1) over the pool (allocates the delegate: not for per-token paths).</summary>
    public void For(int count, Action<int> body)
    {
        var job = new DelegateJob(body);
        Run(ref job, count);
    }

    public void Dispose()
    {
        _disposed = true;
        foreach (var w in _workers) w.Wake();
    }

    private static void Invoke<TJob>(void* job, int item) where TJob : struct, IParallelJob =>
        Unsafe.AsRef<TJob>(job).Execute(item);

    private void Work()
    {
        int i;
        while ((i = Interlocked.Increment(ref _loop.Next) - 1) < _loop.Count)
        {
            try { _invoke(_job, i); }
            catch (Exception e) { Interlocked.CompareExchange(ref _error, e, null); }
        }
    }

    private void WorkerLoop(Worker self)
    {
        while (!_disposed)
        {
            long start = Stopwatch.GetTimestamp();
            while (!self.HasTicket && Stopwatch.GetTimestamp() - start < SpinTicks) Thread.SpinWait(20);
            if (!self.HasTicket) self.Sleep();
            if (_disposed) return;
            if (self.Claim())
            {
                Work();
                Interlocked.Decrement(ref _loop.Pending);
            }
        }
    }

    /// <summary>Loop state on its own cache lines, apart from the fields the dispatching thread writes.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 192)]
    private struct LoopState
    {
        [FieldOffset(64)] public int Next;
        [FieldOffset(68)] public int Count;
        [FieldOffset(128)] public int Pending;
    }

    /// <summary>One helper thread's hand-off: a ticket for the current loop and a semaphore to sleep on.</summary>
    private sealed class Worker
    {
        private const int Awake = 0, Asleep = 1;
        private readonly SemaphoreSlim _signal = new(0);
        private Flags _flags;

        public bool HasTicket => Volatile.Read(ref _flags.Ticket) == 1;

        /// <summary>Gives this worker a ticket for the loop just published; wakes it if it sleeps.</summary>
        public void Wake()
        {
            Volatile.Write(ref _flags.Ticket, 1);
            if (Interlocked.CompareExchange(ref _flags.State, Awake, Asleep) == Asleep) _signal.Release();
        }

        /// <summary>The worker takes its ticket: it will run the current loop.</summary>
        public bool Claim() => Interlocked.Exchange(ref _flags.Ticket, 0) == 1;

        /// <summary>The dispatcher takes the ticket back; true if the worker had not claimed it.</summary>
        public bool Revoke() => Interlocked.CompareExchange(ref _flags.Ticket, 0, 1) == 1;

        /// <summary>Blocks until a ticket may be there (a wake-up can be spurious after a revoke).</summary>
        public void Sleep()
        {
            Interlocked.Exchange(ref _flags.State, Asleep);
            if (HasTicket && Interlocked.CompareExchange(ref _flags.State, Awake, Asleep) == Asleep) return;
            _signal.Wait();
        }

        /// <summary>Padded so that two workers' flags never share a cache line.</summary>
        [StructLayout(LayoutKind.Explicit, Size = 128)]
        private struct Flags
        {
            [FieldOffset(64)] public int Ticket;
            [FieldOffset(68)] public int State;
        }
    }

    private readonly struct DelegateJob(Action<int> body) : IParallelJob
    {
        public void Execute(int item) => body(item);
    }
}

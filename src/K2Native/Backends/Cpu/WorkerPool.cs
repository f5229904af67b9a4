// A persistent pool of worker threads (one per core, the caller counted) that runs the chunks of one
// parallel loop at a time: no thread start-up per call, and nested loops simply run inline.
using System.Runtime.ExceptionServices;

namespace K2Native.Backends.Cpu;

internal sealed class WorkerPool : IDisposable
{
    private readonly Thread[] _threads;
    private readonly SemaphoreSlim _go = new(0);
    private readonly ManualResetEventSlim _done = new(false);
    private Action<int>? _body;
    private int _count;
    private int _next;
    private int _pending;
    private int _busy;
    private Exception? _error;
    private volatile bool _disposed;

    public WorkerPool(int threads)
    {
        Threads = Math.Max(1, threads);
        _threads = new Thread[Threads - 1];
        for (int i = 0; i < _threads.Length; i++)
        {
            _threads[i] = new Thread(WorkerLoop) { IsBackground = true, Name = $"k2-cpu-{i + 1}" };
            _threads[i].Start();
        }
    }

    /// <summary>The process-wide pool, one thread per logical core.</summary>
    public static WorkerPool Shared { get; } = new(Environment.ProcessorCount);

    /// <summary>Threads that run a loop, the caller included.</summary>
    public int Threads { get; }

    /// <summary>Runs body(0..count-1), spreading indices over the pool; returns when all are done.</summary>
    public void For(int count, Action<int> body)
    {
        if (count <= 0) return;
        if (count == 1 || _threads.Length == 0 || Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            for (int i = 0; i < count; i++) body(i);
            return;
        }
        try
        {
            _body = body;
            _count = count;
            _next = 0;
            _error = null;
            int helpers = Math.Min(_threads.Length, count - 1);
            _pending = helpers;
            _done.Reset();
            _go.Release(helpers);
            Work();
            _done.Wait();
            if (_error is not null) ExceptionDispatchInfo.Throw(_error);
        }
        finally
        {
            _body = null;
            Volatile.Write(ref _busy, 0);
        }
    }

    public void Dispose()
    {
        _disposed = true;
        _go.Release(_threads.Length);
    }

    private void Work()
    {
        var body = _body!;
        int i;
        while ((i = Interlocked.Increment(ref _next) - 1) < _count)
        {
            try { body(i); }
            catch (Exception e) { Interlocked.CompareExchange(ref _error, e, null); }
        }
    }

    private void WorkerLoop()
    {
        while (true)
        {
            _go.Wait();
            if (_disposed) return;
            Work();
            if (Interlocked.Decrement(ref _pending) == 0) _done.Set();
        }
    }
}

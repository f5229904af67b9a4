// The small per-token kernels of a decode step at K2's widths: activation quantization (hidden 7168),
// RMSNorm, SiLU-multiply (expert width 2048 x 8 experts), and one parallel loop of the worker pool whose
// items wait for a second thread (at most 1 ms), so the loop pays a full hand-off to a helper and back.
using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using K2Native.Backends;
using K2Native.Backends.Cpu;

namespace K2Native.Benchmarks;

[MemoryDiagnoser]
public unsafe class ElementwiseBenchmarks
{
    private const int Hidden = 7168, Inner = 2048 * 8;
    private readonly KernelFixture _fixture = new();
    private float* _x;
    private float* _y;
    private float* _gate;
    private float* _up;
    private float* _hidden;
    private byte* _quantized;
    private float[] _norm = [];
    private readonly int[] _started = new int[1];

    [Params(SimdWidth.Scalar, SimdWidth.V256, SimdWidth.V512)]
    public SimdWidth Width { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _x = _fixture.Floats(Hidden, 3f);
        _y = _fixture.Floats(Hidden);
        _gate = _fixture.Floats(Inner, 4f);
        _up = _fixture.Floats(Inner);
        _hidden = _fixture.Floats(Inner);
        _quantized = (byte*)_fixture.Floats((int)(Int8Activations.BytesNeeded(1, Hidden, 2) / 4));
        _norm = new float[Hidden];
        Array.Fill(_norm, 1.5f);
    }

    [GlobalCleanup]
    public void Cleanup() => _fixture.Dispose();

    [Benchmark]
    public void QuantizeInt8() => Int8Activations.Quantize(new StridedView(_x, 1, Hidden, Hidden), _quantized, 1, Width);

    [Benchmark]
    public void QuantizeInt16() => Int8Activations.Quantize(new StridedView(_x, 1, Hidden, Hidden), _quantized, 2, Width);

    [Benchmark]
    public void RmsNorm() => RmsNormKernel.Run(new StridedView(_x, 1, Hidden, Hidden), _norm, 1e-5f, new StridedView(_y, 1, Hidden, Hidden), Width);

    [Benchmark]
    public void SiluMul() => VectorMath.SiluMul(_gate, _up, _hidden, Inner, Width);

    [Benchmark]
    public void PoolHandOff()
    {
        _started[0] = 0;
        var job = new HandOffJob(_started, Math.Min(2, WorkerPool.Shared.Threads));
        WorkerPool.Shared.Run(ref job, WorkerPool.Shared.Threads);
    }

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

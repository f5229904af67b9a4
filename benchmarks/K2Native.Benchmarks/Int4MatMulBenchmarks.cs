// INT4 matrix-vector products (64 rows of K2's hidden width, 256 KiB, L2-resident) on one thread, per vector
// width and activation precision: the arithmetic ceiling of the INT4 kernels (weights per second).
using BenchmarkDotNet.Attributes;
using K2Native.Backends;
using K2Native.Backends.Cpu;
using K2Native.Checkpoint;

namespace K2Native.Benchmarks;

[MemoryDiagnoser]
public unsafe class Int4MatMulBenchmarks
{
    private const int Rows = 64, Cols = 7168;
    private readonly KernelFixture _fixture = new();
    private readonly WorkerPool _pool = new(1);
    private MatrixSource _w = null!;
    private KernelContext _context = null!;
    private float* _x;
    private float* _y;

    [Params(SimdWidth.V256, SimdWidth.V512)]
    public SimdWidth Width { get; set; }

    [Params(Int4Activations.Int8, Int4Activations.Int16, Int4Activations.Float32)]
    public Int4Activations Activations { get; set; }

    [Params(1, 4)]
    public int Tokens { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _w = _fixture.Int4(Rows, Cols);
        _x = _fixture.Floats(Tokens * Cols);
        _y = _fixture.Floats(Tokens * Rows);
        _context = new KernelContext(Width, _pool, Activations);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _context.Dispose();
        _pool.Dispose();
        _fixture.Dispose();
    }

    [Benchmark]
    public void MatMul() => MatMulKernel.Run(new StridedView(_x, Tokens, Cols, Cols), _w, new StridedView(_y, Tokens, Rows, Rows), _context);
}

// FP8 e4m3 matrix-vector products (64 rows of K2's hidden width, 448 KiB, L2-resident) on one thread, through each
// of the Vector512 decoders (Fp8Decoders.cs; production runs one per CPU: `k2 bench kernels` prints which) and the
// Vector256 body. These are arithmetic rates: what fraction of them survives streaming from memory is what
// `k2 bench kernels` shows against the read ceiling.
using BenchmarkDotNet.Attributes;
using K2Native.Backends.Cpu;
using K2Native.Checkpoint;

namespace K2Native.Benchmarks;

public enum Fp8Body
{
    V256,
    V512Permute,
    V512Shift,
    V512ShiftUnchecked,
}

[MemoryDiagnoser]
public unsafe class Fp8MatMulBenchmarks
{
    private const int Rows = 64, Cols = 7168;
    private readonly KernelFixture _fixture = new();
    private MatrixSource _w = null!;
    private float* _x;
    private float* _y;

    [Params(Fp8Body.V256, Fp8Body.V512Permute, Fp8Body.V512Shift, Fp8Body.V512ShiftUnchecked)]
    public Fp8Body Body { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _w = _fixture.Fp8(Rows, Cols);
        _x = _fixture.Floats(Cols);
        _y = _fixture.Floats(Rows);
        if (Body == Fp8Body.V512Permute && !Fp8PermuteDecode.IsSupported)
            throw new NotSupportedException("the permute decode needs GFNI and AVX-512 VBMI");
    }

    [GlobalCleanup]
    public void Cleanup() => _fixture.Dispose();

    /// <summary>y = W·x for one token, its activation row scaled inside the call as MatMulKernel does.</summary>
    [Benchmark]
    public void MatVec()
    {
        var w = new Fp8Rows(_w);
        switch (Body)
        {
            case Fp8Body.V256: Fp8Kernel.Rows<Fp8V256>(w, 0, Rows, _x, _y); break;
            case Fp8Body.V512Permute: Fp8Kernel.Rows<Fp8V512<Fp8PermuteDecode>>(w, 0, Rows, _x, _y); break;
            case Fp8Body.V512Shift: Fp8Kernel.Rows<Fp8V512<Fp8ShiftDecode>>(w, 0, Rows, _x, _y); break;
            default: Fp8Kernel.Rows<Fp8V512<Fp8ShiftUncheckedDecode>>(w, 0, Rows, _x, _y); break;
        }
    }
}

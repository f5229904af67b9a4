// `k2 bench kernels` rows for one matrix product y[T, N] = x[T, K] · W[N, K]^T (bf16, INT4 or FP8 weights),
// through the public backend boundary (Backend.MatMul), over rotating weight copies.
using K2Native.Backends;
using K2Native.Checkpoint;

namespace K2Bench.Bench.Kernels;

internal sealed class MatMulBench(
    string name, WeightFormat format, int rows, int cols, int tokens, long rotationBytes) : IKernelBench
{
    private readonly BenchWeights _weights = new();
    private Backend? _backend;
    private Weight[] _w = [];
    private Tensor? _x;
    private Tensor? _y;

    public string Name => name;

    public string Shape => $"[{rows} x {cols}] {BenchWeights.Label(format)}, T={tokens}";

    public long BytesPerCall => WeightBytes + 4L * tokens * (rows + cols);

    public double FlopsPerCall => 2.0 * rows * cols * tokens;

    public int CallsPerSample => _w.Length;

    private long WeightBytes => BenchWeights.StoredBytes(format, rows, cols);

    public void Prepare(Backend backend)
    {
        _backend = backend;
        int copies = BenchWeights.CopiesFor(WeightBytes, rotationBytes);
        var sources = _weights.Matrices(format, name, rows, cols, copies, (ulong)(rows * 31 + cols));
        _w = sources.Select(backend.Load).ToArray();
        _x = backend.NewTensor(tokens, cols);
        _y = backend.NewTensor(tokens, rows);
        backend.Write(_x, BenchWeights.Gaussian(tokens * cols, 7, 1f));
    }

    public void Call(int index) => _backend!.MatMul(_x!, _w[index], _y!);

    public void Dispose()
    {
        _x?.Dispose();
        _y?.Dispose();
        _weights.Dispose();
    }
}

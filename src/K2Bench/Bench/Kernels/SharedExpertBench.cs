// `k2 bench kernels` row for the shared expert (a bf16 MLP: gate and up [inner x hidden], SiLU-multiply,
// down [hidden x inner]) as the model runs it through the backend boundary.
using K2Native.Backends;

namespace K2Bench.Bench.Kernels;

internal sealed class SharedExpertBench(string name, int hidden, int inner, int tokens, long rotationBytes)
    : IKernelBench
{
    private readonly BenchWeights _weights = new();
    private Backend? _backend;
    private (Weight Gate, Weight Up, Weight Down)[] _mlps = [];
    private Tensor? _x;
    private Tensor? _gate;
    private Tensor? _up;
    private Tensor? _y;

    public string Name => name;

    public string Shape => $"3 x [{inner} x {hidden}] bf16, T={tokens}";

    private long MlpBytes => 3 * 2L * inner * hidden;

    public long BytesPerCall => MlpBytes + 4L * tokens * (2 * hidden + 3 * inner);

    public double FlopsPerCall => tokens * 3 * 2.0 * inner * hidden;

    public int CallsPerSample => _mlps.Length;

    public void Prepare(Backend backend)
    {
        _backend = backend;
        int copies = BenchWeights.CopiesFor(MlpBytes, rotationBytes);
        var gate = _weights.Bf16Matrices("gate", inner, hidden, copies, 1);
        var up = _weights.Bf16Matrices("up", inner, hidden, copies, 2);
        var down = _weights.Bf16Matrices("down", hidden, inner, copies, 3);
        _mlps = Enumerable.Range(0, copies).Select(
            c => (backend.Load(gate[c]), backend.Load(up[c]), backend.Load(down[c]))).ToArray();
        _x = backend.NewTensor(tokens, hidden);
        _gate = backend.NewTensor(tokens, inner);
        _up = backend.NewTensor(tokens, inner);
        _y = backend.NewTensor(tokens, hidden);
        backend.Write(_x, BenchWeights.Gaussian(tokens * hidden, 7, 1f));
    }

    public void Call(int index)
    {
        var (gate, up, down) = _mlps[index];
        _backend!.MatMul(_x!, gate, _gate!);
        _backend.MatMul(_x!, up, _up!);
        _backend.SiluMul(_gate!, _up!, _gate!);
        _backend.MatMul(_gate!, down, _y!);
    }

    public void Dispose()
    {
        _x?.Dispose();
        _gate?.Dispose();
        _up?.Dispose();
        _y?.Dispose();
        _weights.Dispose();
    }
}

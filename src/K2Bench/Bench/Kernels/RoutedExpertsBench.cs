// `k2 bench kernels` row for the routed-expert step of one MoE layer (Backend.RoutedExperts): router plus
// top-k INT4 or FP8 experts (gate, up: [inner x hidden]; down: [hidden x inner]) per token. The router has all the
// layer's experts (K2: 384) with random weights; the correction bias of each rotation makes a different set
// of top-k distinct experts win, so consecutive calls stream different experts and the distinct experts
// together span far more than the caches (experts never chosen share those weights).
using K2Native.Backends;
using K2Native.Checkpoint;

namespace K2Bench.Bench.Kernels;

internal sealed class RoutedExpertsBench(
    string name, WeightFormat format, int hidden, int inner, int experts, int topK, int tokens, long rotationBytes)
    : IKernelBench
{
    private readonly BenchWeights _weights = new();
    private Backend? _backend;
    private MoeLayer[] _layers = [];
    private Tensor? _x;
    private Tensor? _acc;

    public string Name => name;

    public string Shape => $"{topK} of {experts} experts x 3 [{inner} x {hidden}] {BenchWeights.Label(format)} + "
        + $"router, T={tokens}";

    /// <summary>Distinct experts: enough rotations of topK to span the rotation bytes.</summary>
    private int Distinct => Math.Min(experts / topK, BenchWeights.CopiesFor(topK * ExpertBytes, rotationBytes)) * topK;

    private long ExpertBytes => 3 * BenchWeights.StoredBytes(format, inner, hidden);

    private long RouterBytes => 2L * experts * hidden;

    /// <summary>Bytes of the experts the tokens pick (every token picks the same topK here) plus the router.</summary>
    public long BytesPerCall => topK * ExpertBytes + RouterBytes + 8L * tokens * hidden;

    public double FlopsPerCall => tokens * (2.0 * experts * hidden + topK * 3 * 2.0 * inner * hidden);

    public int CallsPerSample => _layers.Length;

    public void Prepare(Backend backend)
    {
        _backend = backend;
        int distinct = Distinct;
        var gates = _weights.Matrices(format, "gate", inner, hidden, distinct, 1).Select(backend.Load).ToArray();
        var ups = _weights.Matrices(format, "up", inner, hidden, distinct, 2).Select(backend.Load).ToArray();
        var downs = _weights.Matrices(format, "down", hidden, inner, distinct, 3).Select(backend.Load).ToArray();
        var gate = Enumerable.Range(0, experts).Select(e => gates[e % distinct]).ToArray();
        var up = Enumerable.Range(0, experts).Select(e => ups[e % distinct]).ToArray();
        var down = Enumerable.Range(0, experts).Select(e => downs[e % distinct]).ToArray();
        var router = backend.Load(_weights.Bf16Matrices("router", experts, hidden, 1, 4)[0]);
        var settings = new RouterSettings(experts, topK, 1, 1, true, 2.827f);
        _layers = new MoeLayer[distinct / topK];
        for (int r = 0; r < _layers.Length; r++)
        {
            var bias = new float[experts];
            for (int k = 0; k < topK; k++) bias[r * topK + k] = 100f;
            _layers[r] = new MoeLayer(router, backend.Load(bias), settings, gate, up, down);
        }
        _x = backend.NewTensor(tokens, hidden);
        _acc = backend.NewTensor(tokens, hidden);
        backend.Write(_x, BenchWeights.Gaussian(tokens * hidden, 7, 1f));
    }

    public void Call(int index) => _backend!.RoutedExperts(_x!, _layers[index], _acc!);

    public void Dispose()
    {
        _x?.Dispose();
        _acc?.Dispose();
        _weights.Dispose();
    }
}

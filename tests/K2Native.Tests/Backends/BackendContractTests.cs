// Backend's template method: each public op checks shapes and indices itself and reaches the backend's ...Core
// only with valid arguments, so a backend that just marshals (this file's CoreProbe) inherits every check.
using K2Native.Backends;
using K2Native.Checkpoint;

namespace K2Native.Tests.Backends;

public sealed class BackendContractTests
{
    private readonly CoreProbe _backend = new();

    [Fact]
    public void ValidShapes_ReachTheCore()
    {
        var a = _backend.NewTensor(3, 4);
        var b = _backend.NewTensor(3, 4);
        _backend.Add(a, b);
        _backend.SiluMul(a, b, a);
        _backend.Write(a, new float[8]);
        _backend.Read(a, new float[12]);
        _backend.GatherRows(a, [2, 0], _backend.NewTensor(2, 4));
        Assert.Equal(
            ["NewTensor", "NewTensor", "Add", "SiluMul", "Write", "Read", "NewTensor", "GatherRows"], _backend.Calls);
    }

    public static TheoryData<string> BadCalls() => new(Cases.Keys);

    [Theory]
    [MemberData(nameof(BadCalls))]
    public void InvalidArguments_AreRefusedBeforeTheCore(string call)
    {
        var thrown = Assert.ThrowsAny<ArgumentException>(() => Cases[call](_backend));
        Assert.False(string.IsNullOrWhiteSpace(thrown.Message), call);
        Assert.DoesNotContain(_backend.Calls, c => c != "NewTensor" && c != "NewKvCache");
    }

    private static readonly Dictionary<string, Action<CoreProbe>> Cases = new()
    {
        ["Add of two shapes"] = b => b.Add(b.NewTensor(3, 4), b.NewTensor(3, 5)),
        ["SiluMul into a shorter output"] = b => b.SiluMul(b.NewTensor(3, 4), b.NewTensor(3, 4), b.NewTensor(2, 4)),
        ["Write of a partial row"] = b => b.Write(b.NewTensor(3, 4), new float[5]),
        ["Write of too many rows"] = b => b.Write(b.NewTensor(3, 4), new float[16]),
        ["Read into the wrong length"] = b => b.Read(b.NewTensor(3, 4), new float[11]),
        ["GatherRows of a missing row"] = b => b.GatherRows(b.NewTensor(3, 4), [3], b.NewTensor(1, 4)),
        ["GatherRows of a negative row"] = b => b.GatherRows(b.NewTensor(3, 4), [-1], b.NewTensor(1, 4)),
        ["Rope past the last column"] = b => b.Rope(b.NewTensor(2, 10), 2, 5, 2, new RopeTable([1.0, 0.5], 1f), [0, 1]),
        ["Rope with a position per token missing"] = b => b.Rope(
            b.NewTensor(2, 10), 1, 10, 0, new RopeTable([1.0], 1f), [0]),
        ["CausalAttention with a position that has no key"] = b =>
        {
            var shape = new AttentionShape(1, 2, 2, 2, 1f);
            b.CausalAttention(b.NewTensor(1, 4), b.NewTensor(2, 4), b.NewTensor(2, 2), shape, [2], b.NewTensor(1, 2));
        },
        ["WriteKv into a slot outside the pool"] = b =>
        {
            var cache = b.NewKvCache(new KvCacheLayout(1, 2, 4, 3, 2, KvCacheDType.F32));
            b.WriteKv(cache, 0, b.NewTensor(1, 3), b.NewTensor(1, 2), [8]);
        },
        ["WriteKv into a layer the cache lacks"] = b =>
        {
            var cache = b.NewKvCache(new KvCacheLayout(1, 2, 4, 3, 2, KvCacheDType.F32));
            b.WriteKv(cache, 1, b.NewTensor(1, 3), b.NewTensor(1, 2), [0]);
        },
        ["WriteKv of a latent wider than the cache's"] = b =>
        {
            var cache = b.NewKvCache(new KvCacheLayout(1, 2, 4, 3, 2, KvCacheDType.F32));
            b.WriteKv(cache, 0, b.NewTensor(1, 4), b.NewTensor(1, 2), [0]);
        },
        ["RunStep with a logit row past the step"] = b =>
        {
            var cache = b.NewKvCache(new KvCacheLayout(1, 2, 4, 3, 2, KvCacheDType.F32));
            var attention = new AttentionBatch([0], [1], [0], 1) { Tokens = 1 };
            b.RunStep(new StepInputs([5], [0], [0], attention, [1], 1, 1, cache), () => b.Calls.Add("body"));
        },
        ["RunStep with a block outside the pool"] = b =>
        {
            var cache = b.NewKvCache(new KvCacheLayout(1, 2, 4, 3, 2, KvCacheDType.F32));
            var attention = new AttentionBatch([0], [1], [2], 1) { Tokens = 1 };
            b.RunStep(new StepInputs([5], [0], [0], attention, [0], 1, 1, cache), () => b.Calls.Add("body"));
        },
    };

    /// <summary>A backend whose cores only record that they were reached.</summary>
    private sealed class CoreProbe : Backend
    {
        public List<string> Calls { get; } = [];

        public override string Name => "probe";

        protected override Tensor NewTensorCore(int rows, int cols)
        {
            Calls.Add("NewTensor");
            return new ProbeTensor(rows, cols);
        }

        protected override void WriteCore(TensorView destination, ReadOnlySpan<float> values) => Calls.Add("Write");

        protected override void ReadCore(TensorView source, Span<float> values) => Calls.Add("Read");

        protected override Weight LoadCore(MatrixSource matrix) => throw new NotSupportedException();

        protected override WeightVector LoadCore(float[] vector) => throw new NotSupportedException();

        protected override void EmbedCore(ReadOnlySpan<int> tokens, Weight table, TensorView y) => Calls.Add("Embed");

        protected override void RmsNormCore(TensorView x, WeightVector w, float eps, TensorView y) => Calls.Add(
            "RmsNorm");

        protected override void MatMulCore(TensorView x, Weight w, TensorView y) => Calls.Add("MatMul");

        protected override void GatherRowsCore(TensorView src, ReadOnlySpan<int> rows, TensorView dst) => Calls.Add(
            "GatherRows");

        protected override void ClearCore(TensorView x) => Calls.Add("Clear");

        protected override void AddCore(TensorView acc, TensorView delta) => Calls.Add("Add");

        protected override void SiluMulCore(TensorView gate, TensorView up, TensorView y) => Calls.Add("SiluMul");

        protected override void RopeCore(
            TensorView x, int heads, int headStride, int offset, RopeTable rope, ReadOnlySpan<int> positions) =>
            Calls.Add("Rope");

        protected override void CausalAttentionCore(
            TensorView q, TensorView kv, TensorView kpe, AttentionShape shape, ReadOnlySpan<int> positions,
            TensorView output) =>
            Calls.Add("CausalAttention");

        protected override KvCacheStorage NewKvCacheCore(KvCacheLayout layout)
        {
            Calls.Add("NewKvCache");
            return new ProbeCache(layout);
        }

        protected override void WriteKvCore(
            KvCacheStorage cache, int layer, TensorView latent, TensorView kpe, ReadOnlySpan<int> slots) =>
            Calls.Add("WriteKv");

        protected override void AbsorbQueryCore(TensorView q, Weight kvB, AttentionShape shape, TensorView qLatent) =>
            Calls.Add("AbsorbQuery");

        protected override void PagedAttentionCore(
            TensorView qLatent, TensorView q, KvCacheStorage cache, int layer, AttentionBatch batch,
            AttentionShape shape, TensorView oLatent) =>
            Calls.Add("PagedAttention");

        protected override void ExpandValuesCore(
            TensorView oLatent, Weight kvB, AttentionShape shape, TensorView output) =>
            Calls.Add("ExpandValues");

        protected override void RouteCore(TensorView x, MoeLayer moe, Span<int> expertIds, Span<float> expertWeights) =>
            Calls.Add("Route");

        protected override void RoutedExpertsCore(TensorView x, MoeLayer moe, TensorView acc) => Calls.Add(
            "RoutedExperts");

        protected override void RunStepCore(in StepInputs step, Action body) => Calls.Add("RunStep");
    }

    private sealed class ProbeTensor(int rows, int cols) : Tensor(rows, cols)
    {
        public override void Dispose() { }
    }

    private sealed class ProbeCache(KvCacheLayout layout) : KvCacheStorage(layout)
    {
        public override void Dispose() { }
    }
}

// A backend that is deliberately wrong in one op: every op runs on an inner (correct) backend, and the named one then
// has its output scaled by 1.5 and shifted by 0.25 (expert ids: the first one moved to the next expert). The
// comparison harness must fail exactly what it skews (CudaBackendTests), which shows that the harness can fail.
using K2Native.Backends;
using K2Native.Checkpoint;

namespace K2Native.Tests.Backends;

internal sealed class SkewedBackend(Backend inner, string skewedOp) : Backend
{
    public override string Name => $"{inner.Name} with {skewedOp} skewed";

    public override bool HostResident => inner.HostResident;

    protected override Tensor NewTensorCore(int rows, int cols) => inner.NewTensor(rows, cols);

    protected override void WriteCore(TensorView destination, ReadOnlySpan<float> values) => inner.Write(
        destination, values);

    protected override void ReadCore(TensorView source, Span<float> values) => inner.Read(source, values);

    protected override Weight LoadCore(MatrixSource matrix) => inner.Load(matrix);

    protected override WeightVector LoadCore(float[] vector) => inner.Load(vector);

    protected override void EmbedCore(ReadOnlySpan<int> tokens, Weight table, TensorView y)
    {
        inner.Embed(tokens, table, y);
        Skew("Embed", y);
    }

    protected override void RmsNormCore(TensorView x, WeightVector w, float eps, TensorView y)
    {
        inner.RmsNorm(x, w, eps, y);
        Skew("RmsNorm", y);
    }

    protected override void MatMulCore(TensorView x, Weight w, TensorView y)
    {
        inner.MatMul(x, w, y);
        Skew("MatMul", y);
    }

    protected override void GatherRowsCore(TensorView src, ReadOnlySpan<int> rows, TensorView dst)
    {
        inner.GatherRows(src, rows, dst);
        Skew("GatherRows", dst);
    }

    protected override void ClearCore(TensorView x) => inner.Clear(x);

    protected override void AddCore(TensorView acc, TensorView delta)
    {
        inner.Add(acc, delta);
        Skew("Add", acc);
    }

    protected override void SiluMulCore(TensorView gate, TensorView up, TensorView y)
    {
        inner.SiluMul(gate, up, y);
        Skew("SiluMul", y);
    }

    protected override void RopeCore(
        TensorView x, int heads, int headStride, int offset, RopeTable rope, ReadOnlySpan<int> positions)
    {
        inner.Rope(x, heads, headStride, offset, rope, positions);
        Skew("Rope", x);
    }

    protected override void CausalAttentionCore(
        TensorView q, TensorView kv, TensorView kpe, AttentionShape shape, ReadOnlySpan<int> positions,
        TensorView output)
    {
        inner.CausalAttention(q, kv, kpe, shape, positions, output);
        Skew("CausalAttention", output);
    }

    protected override KvCacheStorage NewKvCacheCore(KvCacheLayout layout) => inner.NewKvCache(layout);

    protected override void WriteKvCore(
        KvCacheStorage cache, int layer, TensorView latent, TensorView kpe, ReadOnlySpan<int> slots) =>
        inner.WriteKv(cache, layer, latent, kpe, slots);

    protected override void AbsorbQueryCore(TensorView q, Weight kvB, AttentionShape shape, TensorView qLatent)
    {
        inner.AbsorbQuery(q, kvB, shape, qLatent);
        Skew("AbsorbQuery", qLatent);
    }

    protected override void PagedAttentionCore(
        TensorView qLatent, TensorView q, KvCacheStorage cache, int layer, AttentionBatch batch, AttentionShape shape,
        TensorView oLatent)
    {
        inner.PagedAttention(qLatent, q, cache, layer, batch, shape, oLatent);
        Skew("PagedAttention", oLatent);
    }

    protected override void ExpandValuesCore(TensorView oLatent, Weight kvB, AttentionShape shape, TensorView output)
    {
        inner.ExpandValues(oLatent, kvB, shape, output);
        Skew("ExpandValues", output);
    }

    protected override void RouteCore(TensorView x, MoeLayer moe, Span<int> expertIds, Span<float> expertWeights)
    {
        inner.Route(x, moe, expertIds, expertWeights);
        if (skewedOp == "Route" && expertIds.Length > 0) expertIds[0] = (expertIds[0] + 1) % moe.Settings.Experts;
    }

    protected override void RoutedExpertsCore(TensorView x, MoeLayer moe, TensorView acc)
    {
        inner.RoutedExperts(x, moe, acc);
        Skew("RoutedExperts", acc);
    }

    protected override void RunStepCore(in StepInputs step, Action body) => inner.RunStep(step, body);

    public override void Dispose()
    {
        inner.Dispose();
        base.Dispose();
    }

    private void Skew(string op, TensorView output)
    {
        if (op != skewedOp) return;
        var values = new float[output.Rows * output.Cols];
        inner.Read(output, values);
        for (int i = 0; i < values.Length; i++) values[i] = values[i] * 1.5f + 0.25f;
        inner.Write(output, values);
    }
}

// The backend boundary: every operation the K2 forward pass needs, on activations and weights that the
// backend owns. The model (Model/K2Model.cs) calls only these. Backend is a template method: each public op is
// non-virtual, checks shapes and indices once (the messages every backend shares), then calls its protected
// ...Core method, which a backend (Backends/Cpu, Backends/Cuda) implements by marshalling to its kernels and may
// assume the checked shapes. A backend instance serves one forward pass at a time.
using K2Native.Checkpoint;

namespace K2Native.Backends;

/// <summary>A weight matrix [Rows = out, Cols = in] in a backend's form.</summary>
public abstract class Weight
{
    protected Weight(MatrixSource source) => Source = source;

    /// <summary>The checkpoint matrix this weight was made from.</summary>
    public MatrixSource Source { get; }

    public int Rows => Source.Rows;

    public int Cols => Source.Cols;
}

/// <summary>A float32 vector (norm weight, router bias) in a backend's memory.</summary>
public abstract class WeightVector
{
    protected WeightVector(int length) => Length = length;

    public int Length { get; }
}

/// <summary>Routing rules of an MoE layer (K2-SPEC section 2): sigmoid scores, biased group-limited top-k,
/// renormalized, scaled.</summary>
public sealed record RouterSettings(
    int Experts, int TopK, int Groups, int TopkGroups, bool NormalizeTopK, float ScalingFactor);

/// <summary>An MoE layer's router and routed experts in a backend's form (the shared expert is a plain MLP).</summary>
public sealed record MoeLayer(
    Weight Router, WeightVector CorrectionBias, RouterSettings Settings, Weight[] Gate, Weight[] Up, Weight[] Down);

/// <summary>Head layout of multi-head latent attention.</summary>
/// <param name="Heads">Query heads H.</param>
/// <param name="NopeDim">Non-rotated query/key width per head.</param>
/// <param name="RopeDim">Rotated query/key width (one rope key shared by all heads).</param>
/// <param name="ValueDim">Value width per head.</param>
/// <param name="SoftmaxScale">Score multiplier: (nope+rope)^-0.5, times mscale^2 under YaRN.</param>
public sealed record AttentionShape(int Heads, int NopeDim, int RopeDim, int ValueDim, float SoftmaxScale)
{
    public int QueryHeadDim => NopeDim + RopeDim;

    public int KvHeadDim => NopeDim + ValueDim;
}

/// <summary>Rotary embedding: the per-pair inverse frequencies (YaRN-adjusted) and the cos/sin scale.</summary>
public sealed record RopeTable(double[] InverseFrequencies, float CosSinScale)
{
    /// <summary>Rotated width (twice the number of frequencies).</summary>
    public int Dim => 2 * InverseFrequencies.Length;
}

/// <summary>A compute backend. The public ops check shapes and indices; the <c>...Core</c> methods only
/// marshal.</summary>
public abstract class Backend : IDisposable
{
    /// <summary>Short name: "cpu", "cuda".</summary>
    public abstract string Name { get; }

    /// <summary>A zeroed activation tensor.</summary>
    public Tensor NewTensor(int rows, int cols)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(cols);
        return NewTensorCore(rows, cols);
    }

    /// <summary>Copies row-major values into the first rows of a view.</summary>
    public void Write(TensorView destination, ReadOnlySpan<float> values)
    {
        int cols = Math.Max(1, destination.Cols);
        if (values.Length % cols != 0 || values.Length / cols > destination.Rows)
            throw new ArgumentException(
                $"Write: {values.Length} values do not fill whole rows of a {Describe(destination)} view");
        WriteCore(destination, values);
    }

    /// <summary>Copies a view out, row-major.</summary>
    public void Read(TensorView source, Span<float> values)
    {
        if (values.Length != source.Rows * source.Cols)
            throw new ArgumentException(
                $"Read: a {Describe(source)} view needs {source.Rows * source.Cols} values, got {values.Length}");
        ReadCore(source, values);
    }

    /// <summary>Makes a weight usable by this backend (the CPU reads it in place; a GPU uploads it).</summary>
    public Weight Load(MatrixSource matrix) => LoadCore(matrix);

    public WeightVector Load(float[] vector) => LoadCore(vector);

    /// <summary>y[t, :] = table[tokens[t], :].</summary>
    public void Embed(ReadOnlySpan<int> tokens, Weight table, TensorView y)
    {
        var m = table.Source;
        if (m.Format != WeightFormat.Bf16 || y.Cols != m.Cols || y.Rows != tokens.Length)
            throw new ArgumentException(
                $"Embed: {tokens.Length} tokens into {Describe(y)} from {m.Name} [{m.Rows}, {m.Cols}] {m.Format}");
        for (int t = 0; t < tokens.Length; t++)
            if ((uint)tokens[t] >= (uint)m.Rows)
                throw new ArgumentOutOfRangeException(nameof(tokens),
                    $"token id {tokens[t]} at position {t} is outside the vocabulary [0, {m.Rows})");
        EmbedCore(tokens, table, y);
    }

    /// <summary>y = w * x / sqrt(mean(x^2) + eps), row by row; y may be x.</summary>
    public void RmsNorm(TensorView x, WeightVector w, float eps, TensorView y)
    {
        if (x.Cols != w.Length || !SameShape(x, y))
            throw new ArgumentException($"RmsNorm shapes: x {Describe(x)}, w [{w.Length}], y {Describe(y)}");
        RmsNormCore(x, w, eps, y);
    }

    /// <summary>y[T, N] = x[T, K] · w[N, K]^T; y must not overlap x.</summary>
    public void MatMul(TensorView x, Weight w, TensorView y)
    {
        if (x.Cols != w.Cols || y.Cols != w.Rows || x.Rows != y.Rows)
            throw new ArgumentException(
                $"MatMul shapes: x {Describe(x)}, {w.Source.Name} [{w.Rows}, {w.Cols}], y {Describe(y)}");
        MatMulCore(x, w, y);
    }

    /// <summary>dst[i, :] = src[rows[i], :].</summary>
    public void GatherRows(TensorView src, ReadOnlySpan<int> rows, TensorView dst)
    {
        if (src.Cols != dst.Cols || rows.Length != dst.Rows)
            throw new ArgumentException($"GatherRows: {rows.Length} rows of {Describe(src)} into {Describe(dst)}");
        CheckRows(rows, src.Rows, nameof(rows));
        GatherRowsCore(src, rows, dst);
    }

    /// <summary>Sets every element of the view to zero.</summary>
    public void Clear(TensorView x) => ClearCore(x);

    /// <summary>acc += delta.</summary>
    public void Add(TensorView acc, TensorView delta)
    {
        if (!SameShape(acc, delta)) throw new ArgumentException($"Add shapes: {Describe(acc)} += {Describe(delta)}");
        AddCore(acc, delta);
    }

    /// <summary>y = silu(gate) * up; y may be gate or up.</summary>
    public void SiluMul(TensorView gate, TensorView up, TensorView y)
    {
        if (!SameShape(gate, up) || !SameShape(gate, y))
            throw new ArgumentException($"SiluMul shapes: {Describe(gate)}, {Describe(up)} -> {Describe(y)}");
        SiluMulCore(gate, up, y);
    }

    /// <summary>Rotates interleaved pairs of columns [h*headStride + offset, + rope.Dim) of each row t by positions[t]
    /// * inv_freq.</summary>
    public void Rope(TensorView x, int heads, int headStride, int offset, RopeTable rope, ReadOnlySpan<int> positions)
    {
        if (positions.Length != x.Rows || heads < 1 || offset < 0
            || (heads - 1) * headStride + offset + rope.Dim > x.Cols)
            throw new ArgumentException(
                $"Rope shapes: x {Describe(x)}, {heads} heads of stride {headStride}, offset {offset}, " +
                $"dim {rope.Dim}, {positions.Length} positions");
        RopeCore(x, heads, headStride, offset, rope, positions);
    }

    /// <summary>
    /// Expanded causal MLA: q [T, H*(nope+rope)] (rope applied), kv [S, H*(nope+v)] = kv_b(latent), kpe [S, rope] (rope
    /// applied);
    /// query t attends to keys 0..positions[t]; output [T, H*v].
    /// </summary>
    public void CausalAttention(
        TensorView q, TensorView kv, TensorView kpe, AttentionShape shape, ReadOnlySpan<int> positions,
        TensorView output)
    {
        int heads = shape.Heads;
        if (q.Cols != heads * shape.QueryHeadDim || kv.Cols != heads * shape.KvHeadDim || kpe.Cols != shape.RopeDim
            || kv.Rows != kpe.Rows || output.Cols != heads * shape.ValueDim || output.Rows != q.Rows
            || positions.Length != q.Rows)
            throw new ArgumentException(
                $"Attention shapes: q {Describe(q)}, kv {Describe(kv)}, kpe {Describe(kpe)}, out {Describe(output)}, " +
                $"{heads} heads, {positions.Length} positions");
        foreach (int p in positions)
            if (p < 0 || p >= kv.Rows)
                throw new ArgumentException(
                    $"Attention: position {p} has no key (keys 0..{kv.Rows - 1})");
        CausalAttentionCore(q, kv, kpe, shape, positions, output);
    }

    /// <summary>A zeroed paged latent cache laid out as <paramref name="layout"/> says (K2Model.NewKvCache picks the
    /// layout a model needs).</summary>
    public KvCacheStorage NewKvCache(KvCacheLayout layout) => NewKvCacheCore(layout);

    /// <summary>Stores row t of latent [T, Rkv] and kpe [T, Dr] (both already normalized / rotated) into slot slots[t]
    /// of layer <paramref name="layer"/>.</summary>
    public void WriteKv(KvCacheStorage cache, int layer, TensorView latent, TensorView kpe, ReadOnlySpan<int> slots)
    {
        var l = cache.Layout;
        if ((uint)layer >= (uint)l.Layers || latent.Cols != l.LatentDim || kpe.Cols != l.RopeDim
            || latent.Rows != slots.Length || kpe.Rows != slots.Length)
            throw new ArgumentException(
                $"WriteKv: layer {layer} of {l.Layers}, latent {Describe(latent)}, kpe {Describe(kpe)}, " +
                $"{slots.Length} slots; cache entries are {l.LatentDim} + {l.RopeDim}");
        CheckSlots(slots, l, nameof(slots));
        WriteKvCore(cache, layer, latent, kpe, slots);
    }

    /// <summary>
    /// Folds the k_nope half of kv_b into the queries:
    /// qLatent[t, h, :] = Σ_d q[t, h, d] · kvB[h·(Dn+Dv) + d, :] over the
    /// Dn non-rotated columns of head h; q [T, H·(Dn+Dr)], qLatent [T, H·Rkv].
    /// </summary>
    public void AbsorbQuery(TensorView q, Weight kvB, AttentionShape shape, TensorView qLatent)
    {
        if (kvB.Rows != shape.Heads * shape.KvHeadDim || q.Cols != shape.Heads * shape.QueryHeadDim
            || qLatent.Cols != shape.Heads * kvB.Cols || qLatent.Rows != q.Rows)
            throw new ArgumentException(
                $"AbsorbQuery shapes: q {Describe(q)}, {kvB.Source.Name} [{kvB.Rows}, {kvB.Cols}], " +
                $"qLatent {Describe(qLatent)}, {shape.Heads} heads");
        AbsorbQueryCore(q, kvB, shape, qLatent);
    }

    /// <summary>
    /// Absorbed MLA over the paged cache: token t attends to the first batch.KeyCounts[t] entries of its sequence's
    /// block table with score (qLatent·c + qRope·k_pe)·scale; oLatent[t, h, :] = Σ p·c. qRope is read from the
    /// rope
    /// columns of q [T, H·(Dn+Dr)].
    /// </summary>
    public void PagedAttention(
        TensorView qLatent, TensorView q, KvCacheStorage cache, int layer, AttentionBatch batch, AttentionShape shape,
        TensorView oLatent)
    {
        var l = cache.Layout;
        int tokens = batch.Tokens, heads = shape.Heads, rkv = l.LatentDim;
        if (qLatent.Rows != tokens || oLatent.Rows != tokens || q.Rows != tokens || qLatent.Cols != heads * rkv
            || oLatent.Cols != heads * rkv || q.Cols != heads * shape.QueryHeadDim || shape.RopeDim != l.RopeDim
            || (uint)layer >= (uint)l.Layers)
            throw new ArgumentException(
                $"PagedAttention shapes: {tokens} tokens, qLatent {Describe(qLatent)}, q {Describe(q)}, " +
                $"oLatent {Describe(oLatent)}, " +
                $"{heads} heads, cache entries {rkv} + {l.RopeDim}, layer {layer} of {l.Layers}");
        batch.Validate(l);
        if (tokens == 0) return;
        PagedAttentionCore(qLatent, q, cache, layer, batch, shape, oLatent);
    }

    /// <summary>
    /// Applies the v half of kv_b per head: output[t, h, v] = Σ_r kvB[h·(Dn+Dv) + Dn + v, r] · oLatent[t, h,
    /// r]; output [T, H·Dv].
    /// </summary>
    public void ExpandValues(TensorView oLatent, Weight kvB, AttentionShape shape, TensorView output)
    {
        if (kvB.Rows != shape.Heads * shape.KvHeadDim || oLatent.Cols != shape.Heads * kvB.Cols
            || output.Cols != shape.Heads * shape.ValueDim || output.Rows != oLatent.Rows)
            throw new ArgumentException(
                $"ExpandValues shapes: oLatent {Describe(oLatent)}, {kvB.Source.Name} [{kvB.Rows}, {kvB.Cols}], " +
                $"output {Describe(output)}, {shape.Heads} heads");
        ExpandValuesCore(oLatent, kvB, shape, output);
    }

    /// <summary>Router only: the chosen experts [T*K] and their weights [T*K] of each token.</summary>
    public void Route(TensorView x, MoeLayer moe, Span<int> expertIds, Span<float> expertWeights)
    {
        var r = moe.Settings;
        if (expertIds.Length != x.Rows * r.TopK || expertWeights.Length != expertIds.Length)
            throw new ArgumentException(
                $"Route: {x.Rows} tokens x top-{r.TopK} need {x.Rows * r.TopK} slots, " +
                $"got {expertIds.Length} and {expertWeights.Length}");
        CheckRouter(x, moe);
        RouteCore(x, moe, expertIds, expertWeights);
    }

    /// <summary>acc += Σ_k weight_k · expert_k(x) over the experts the router picks for each token.</summary>
    public void RoutedExperts(TensorView x, MoeLayer moe, TensorView acc)
    {
        if (!SameShape(x, acc))
            throw new ArgumentException(
                $"RoutedExperts shapes: x {Describe(x)}, acc {Describe(acc)}");
        CheckRouter(x, moe);
        if (x.Rows == 0) return;
        RoutedExpertsCore(x, moe, acc);
    }

    /// <summary>
    /// Runs one model step's device work: <paramref name="body"/> queues the step's ops (no Read inside it). A backend
    /// may
    /// upload the step's index arrays here once, or replay a recorded graph of an earlier step of the same shape
    /// instead
    /// of running the body; the step's slots, tables and logit rows are checked here first, so a replay skips no check.
    /// </summary>
    public void RunStep(in StepInputs step, Action body)
    {
        var layout = step.Cache.Layout;
        step.Attention.Validate(layout);
        CheckSlots(step.Slots.AsSpan(0, step.Count), layout, nameof(step));
        CheckRows(step.LogitRows.AsSpan(0, step.LogitCount), step.Count, nameof(step));
        RunStepCore(step, body);
    }

    /// <summary>True when tensors live in host memory, so reading a small one costs no device synchronization: the
    /// model then checks activations for NaN/Inf at every layer boundary (elsewhere only the logits it reads anyway,
    /// and a failure there names the first bad layer and op after the fact).</summary>
    public virtual bool HostResident => false;

    public virtual void Dispose() => GC.SuppressFinalize(this);

    protected abstract Tensor NewTensorCore(int rows, int cols);

    protected abstract void WriteCore(TensorView destination, ReadOnlySpan<float> values);

    protected abstract void ReadCore(TensorView source, Span<float> values);

    protected abstract Weight LoadCore(MatrixSource matrix);

    protected abstract WeightVector LoadCore(float[] vector);

    protected abstract void EmbedCore(ReadOnlySpan<int> tokens, Weight table, TensorView y);

    protected abstract void RmsNormCore(TensorView x, WeightVector w, float eps, TensorView y);

    protected abstract void MatMulCore(TensorView x, Weight w, TensorView y);

    protected abstract void GatherRowsCore(TensorView src, ReadOnlySpan<int> rows, TensorView dst);

    protected abstract void ClearCore(TensorView x);

    protected abstract void AddCore(TensorView acc, TensorView delta);

    protected abstract void SiluMulCore(TensorView gate, TensorView up, TensorView y);

    protected abstract void RopeCore(
        TensorView x, int heads, int headStride, int offset, RopeTable rope, ReadOnlySpan<int> positions);

    protected abstract void CausalAttentionCore(
        TensorView q, TensorView kv, TensorView kpe, AttentionShape shape, ReadOnlySpan<int> positions,
        TensorView output);

    protected abstract KvCacheStorage NewKvCacheCore(KvCacheLayout layout);

    protected abstract void WriteKvCore(
        KvCacheStorage cache, int layer, TensorView latent, TensorView kpe, ReadOnlySpan<int> slots);

    protected abstract void AbsorbQueryCore(TensorView q, Weight kvB, AttentionShape shape, TensorView qLatent);

    /// <summary>Called with at least one token.</summary>
    protected abstract void PagedAttentionCore(
        TensorView qLatent, TensorView q, KvCacheStorage cache, int layer, AttentionBatch batch, AttentionShape shape,
        TensorView oLatent);

    protected abstract void ExpandValuesCore(TensorView oLatent, Weight kvB, AttentionShape shape, TensorView output);

    protected abstract void RouteCore(TensorView x, MoeLayer moe, Span<int> expertIds, Span<float> expertWeights);

    /// <summary>Called with at least one token.</summary>
    protected abstract void RoutedExpertsCore(TensorView x, MoeLayer moe, TensorView acc);

    /// <summary>Runs the checked step; the default runs the body.</summary>
    protected virtual void RunStepCore(in StepInputs step, Action body) => body();

    private static string Describe(TensorView v) => $"[{v.Rows}, {v.Cols}]";

    private static bool SameShape(TensorView a, TensorView b) => a.Rows == b.Rows && a.Cols == b.Cols;

    private static void CheckRows(ReadOnlySpan<int> rows, int count, string parameter)
    {
        for (int i = 0; i < rows.Length; i++)
            if ((uint)rows[i] >= (uint)count)
                throw new ArgumentOutOfRangeException(parameter,
                    $"GatherRows: row {rows[i]} of a view with {count} rows");
    }

    private static void CheckSlots(ReadOnlySpan<int> slots, KvCacheLayout layout, string parameter)
    {
        for (int t = 0; t < slots.Length; t++)
            if ((ulong)slots[t] >= (ulong)layout.Slots)
                throw new ArgumentOutOfRangeException(parameter,
                    $"WriteKv: slot {slots[t]} of token {t} is outside the pool of {layout.Slots} slots");
    }

    private static void CheckRouter(TensorView x, MoeLayer moe)
    {
        var r = moe.Settings;
        if (moe.Router.Rows != r.Experts || moe.Router.Cols != x.Cols || moe.CorrectionBias.Length != r.Experts)
            throw new ArgumentException(
                $"Route: router {moe.Router.Source.Name} [{moe.Router.Rows}, {moe.Router.Cols}] and bias " +
                $"[{moe.CorrectionBias.Length}] for {r.Experts} experts over {x.Cols} inputs");
    }
}

// The backend boundary: every operation the K2 forward pass needs, on activations and weights that the
// backend owns. The model (Model/K2Model.cs) calls only these; the CPU backend (Backends/Cpu) and the
// CUDA backend implement them. A backend instance serves one forward pass at a time.
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

/// <summary>Routing rules of an MoE layer (K2-SPEC section 2): sigmoid scores, biased group-limited top-k, renormalized, scaled.</summary>
public sealed record RouterSettings(int Experts, int TopK, int Groups, int TopkGroups, bool NormalizeTopK, float ScalingFactor);

/// <summary>An MoE layer's router and routed experts in a backend's form (the shared expert is a plain MLP).</summary>
public sealed record MoeLayer(Weight Router, WeightVector CorrectionBias, RouterSettings Settings, Weight[] Gate, Weight[] Up, Weight[] Down);

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

/// <summary>A compute backend. Shapes are checked by the caller-facing methods; kernels may assume them.</summary>
public abstract class Backend : IDisposable
{
    /// <summary>Short name: "cpu", "cuda".</summary>
    public abstract string Name { get; }

    /// <summary>A zeroed activation tensor.</summary>
    public abstract Tensor NewTensor(int rows, int cols);

    /// <summary>Copies row-major values into the first rows of a view.</summary>
    public abstract void Write(TensorView destination, ReadOnlySpan<float> values);

    /// <summary>Copies a view out, row-major.</summary>
    public abstract void Read(TensorView source, Span<float> values);

    /// <summary>Makes a weight usable by this backend (the CPU reads it in place; a GPU uploads it).</summary>
    public abstract Weight Load(MatrixSource matrix);

    public abstract WeightVector Load(float[] vector);

    /// <summary>y[t, :] = table[tokens[t], :].</summary>
    public abstract void Embed(ReadOnlySpan<int> tokens, Weight table, TensorView y);

    /// <summary>y = w * x / sqrt(mean(x^2) + eps), row by row; y may be x.</summary>
    public abstract void RmsNorm(TensorView x, WeightVector w, float eps, TensorView y);

    /// <summary>y[T, N] = x[T, K] · w[N, K]^T; y must not overlap x.</summary>
    public abstract void MatMul(TensorView x, Weight w, TensorView y);

    /// <summary>dst[i, :] = src[rows[i], :].</summary>
    public abstract void GatherRows(TensorView src, ReadOnlySpan<int> rows, TensorView dst);

    /// <summary>Sets every element of the view to zero.</summary>
    public abstract void Clear(TensorView x);

    /// <summary>acc += delta.</summary>
    public abstract void Add(TensorView acc, TensorView delta);

    /// <summary>y = silu(gate) * up; y may be gate or up.</summary>
    public abstract void SiluMul(TensorView gate, TensorView up, TensorView y);

    /// <summary>Rotates interleaved pairs of columns [h*headStride + offset, + rope.Dim) of each row t by positions[t] * inv_freq.</summary>
    public abstract void Rope(TensorView x, int heads, int headStride, int offset, RopeTable rope, ReadOnlySpan<int> positions);

    /// <summary>
    /// Expanded causal MLA: q [T, H*(nope+rope)] (rope applied), kv [S, H*(nope+v)] = kv_b(latent), kpe [S, rope] (rope applied);
    /// query t attends to keys 0..positions[t]; output [T, H*v].
    /// </summary>
    public abstract void CausalAttention(TensorView q, TensorView kv, TensorView kpe, AttentionShape shape, ReadOnlySpan<int> positions, TensorView output);

    /// <summary>A zeroed paged latent cache laid out as <paramref name="layout"/> says.</summary>
    public abstract KvCacheStorage NewKvCache(KvCacheLayout layout);

    /// <summary>Stores row t of latent [T, Rkv] and kpe [T, Dr] (both already normalized / rotated) into slot slots[t] of layer <paramref name="layer"/>.</summary>
    public abstract void WriteKv(KvCacheStorage cache, int layer, TensorView latent, TensorView kpe, ReadOnlySpan<int> slots);

    /// <summary>
    /// Folds the k_nope half of kv_b into the queries: qLatent[t, h, :] = Σ_d q[t, h, d] · kvB[h·(Dn+Dv) + d, :] over the
    /// Dn non-rotated columns of head h; q [T, H·(Dn+Dr)], qLatent [T, H·Rkv].
    /// </summary>
    public abstract void AbsorbQuery(TensorView q, Weight kvB, AttentionShape shape, TensorView qLatent);

    /// <summary>
    /// Absorbed MLA over the paged cache: token t attends to the first batch.KeyCounts[t] entries of its sequence's
    /// block table with score (qLatent·c + qRope·k_pe)·scale; oLatent[t, h, :] = Σ p·c. qRope is read from the rope
    /// columns of q [T, H·(Dn+Dr)].
    /// </summary>
    public abstract void PagedAttention(TensorView qLatent, TensorView q, KvCacheStorage cache, int layer, AttentionBatch batch, AttentionShape shape, TensorView oLatent);

    /// <summary>Applies the v half of kv_b per head: output[t, h, v] = Σ_r kvB[h·(Dn+Dv) + Dn + v, r] · oLatent[t, h, r]; output [T, H·Dv].</summary>
    public abstract void ExpandValues(TensorView oLatent, Weight kvB, AttentionShape shape, TensorView output);

    /// <summary>Router only: the chosen experts [T*K] and their weights [T*K] of each token.</summary>
    public abstract void Route(TensorView x, MoeLayer moe, Span<int> expertIds, Span<float> expertWeights);

    /// <summary>acc += Σ_k weight_k · expert_k(x) over the experts the router picks for each token.</summary>
    public abstract void RoutedExperts(TensorView x, MoeLayer moe, TensorView acc);

    /// <summary>
    /// Runs one model step's device work: <paramref name="body"/> queues the step's ops (no Read inside it). A backend may
    /// upload the step's index arrays here once, or replay a recorded graph of an earlier step of the same shape instead
    /// of running the body (then the body's own checks are made here). The CPU backend just runs the body.
    /// </summary>
    public virtual void RunStep(in StepInputs step, Action body) => body();

    /// <summary>True when tensors live in host memory, so reading a small one costs no device synchronization: the
    /// model then checks activations for NaN/Inf at every layer boundary (elsewhere only the logits it reads anyway,
    /// and a failure there names the first bad layer and op after the fact).</summary>
    public virtual bool HostResident => false;

    public virtual void Dispose() => GC.SuppressFinalize(this);
}

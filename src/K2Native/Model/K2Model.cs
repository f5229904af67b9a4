// The Kimi K2 / DeepSeek-V3 forward pass, written once against the backend boundary (Backends/Backend.cs):
// the model decides what is computed, the backend how. See K2-SPEC section 2 for the math.
// Two entry points share every layer except attention:
//   Forward  one causal pass over a whole sequence with expanded MLA (k and v from kv_b(latent)), no cache:
//            the plain reference path behind `k2 logits`.
//   Step     tokens of one or more sequences against the paged latent cache with absorbed MLA
//            (K2Model.Step.cs): what generation runs.
//
// Dimension legend
//   T   tokens in this pass            D   hidden_size          V   vocab_size
//   H   attention heads                Dn  qk_nope_head_dim     Dr  qk_rope_head_dim    Dv  v_head_dim
//   Rq  q_lora_rank                    Rkv kv_lora_rank         L   rows that want logits
//   E   routed experts                 K   experts per token    I   expert width        F   dense MLP width
using K2Native.Backends;
using K2Native.Checkpoint;

namespace K2Native.Model;

/// <summary>A K2-format model bound to a backend. Not thread-safe: one pass at a time.</summary>
public sealed partial class K2Model : IDisposable
{
    private readonly Layer[] _layers;
    private readonly Weight _embedding;
    private readonly WeightVector _finalNorm;
    private readonly Weight _lmHead;
    private readonly ModelWorkspace _work;
    private readonly Action _stepBody;   // made once: a step allocates nothing
    private readonly ActivationCheck _check;

    private K2Model(
        K2Config config, Backend backend, Layer[] layers, Weight embedding, WeightVector finalNorm, Weight lmHead)
    {
        Config = config;
        Backend = backend;
        _layers = layers;
        _embedding = embedding;
        _finalNorm = finalNorm;
        _lmHead = lmHead;
        _work = new ModelWorkspace(backend, config);
        _stepBody = RunStepBody;
        _check = new ActivationCheck(backend);
        Rope = Yarn.Rope(config);
        Shape = new AttentionShape(
            config.NumAttentionHeads, config.QkNopeHeadDim, config.QkRopeHeadDim, config.VHeadDim,
            Yarn.SoftmaxScale(config));
    }

    public K2Config Config { get; }

    public Backend Backend { get; }

    public RopeTable Rope { get; }

    public AttentionShape Shape { get; }

    /// <summary>Binds the checkpoint's weights to <paramref name="backend"/>; the checkpoint must outlive the
    /// model.</summary>
    /// <param name="progress">Called with (layers bound, layer count) as loading proceeds.</param>
    public static K2Model Load(K2Checkpoint checkpoint, Backend backend, Action<int, int>? progress = null)
    {
        var c = checkpoint.Config;
        var w = checkpoint.Weights;
        var layers = new Layer[c.NumHiddenLayers];
        for (int l = 0; l < layers.Length; l++)
        {
            var lw = w.Layers[l];
            var a = lw.Attention;
            var attention = new Attention(
                a.QA is null ? null : backend.Load(a.QA),
                a.QANorm is null ? null : backend.Load(a.QANorm),
                a.QB is null ? null : backend.Load(a.QB),
                a.Q is null ? null : backend.Load(a.Q),
                backend.Load(a.KvA), backend.Load(a.KvANorm), backend.Load(a.KvB), backend.Load(a.O));
            MoeLayer? moe = null;
            Mlp? feedForward = null;
            if (lw.Moe is { } m)
            {
                var settings = new RouterSettings(
                    c.NRoutedExperts, c.NumExpertsPerTok, c.NGroup, c.TopkGroup, c.NormTopkProb,
                    (float)c.RoutedScalingFactor);
                moe = new MoeLayer(backend.Load(m.Router), backend.Load(m.CorrectionBias), settings,
                    m.Experts.Select(e => backend.Load(e.Gate)).ToArray(),
                    m.Experts.Select(e => backend.Load(e.Up)).ToArray(),
                    m.Experts.Select(e => backend.Load(e.Down)).ToArray());
                if (m.Shared is { } s) feedForward = LoadMlp(backend, s);
            }
            else
            {
                feedForward = LoadMlp(backend, lw.Dense!);
            }
            layers[l] = new Layer(
                backend.Load(lw.InputNorm), attention, backend.Load(lw.PostAttentionNorm), feedForward, moe);
            progress?.Invoke(l + 1, layers.Length);
        }
        return new K2Model(
            c, backend, layers, backend.Load(w.Embedding), backend.Load(w.FinalNorm), backend.Load(w.LmHead));
    }

    /// <summary>One causal pass over <paramref name="tokens"/> at positions 0..T-1 with expanded MLA; writes logits [T,
    /// V] row-major.</summary>
    public void Forward(ReadOnlySpan<int> tokens, Span<float> logits)
    {
        int t = tokens.Length, v = Config.VocabSize;
        if (t == 0) throw new ArgumentException("Forward needs at least one token", nameof(tokens));
        if (logits.Length != (long)t * v)
            throw new ArgumentException($"logits must hold {t} x {v} values, got {logits.Length}", nameof(logits));
        CheckTokens(tokens);
        if (t > Config.MaxPositionEmbeddings)
            throw new ArgumentException(
                $"{t} tokens exceed max_position_embeddings {Config.MaxPositionEmbeddings}", nameof(tokens));

        var positions = new int[t];
        for (int i = 0; i < t; i++) positions[i] = i;
        _work.Prepare(t, paged: false);
        var w = _work;
        Embed(tokens);                                                                   // x [T, D]
        for (int l = 0; l < _layers.Length; l++)
        {
            var layer = _layers[l];
            Backend.RmsNorm(w.X, layer.InputNorm, (float)Config.RmsNormEps, w.H);       // h [T, D]
            // q [T, H·(Dn+Dr)], c [T, Rkv], k_pe [T, Dr]
            var kRope = ProjectAttentionInputs(layer.Attention, positions);
            Backend.MatMul(w.KvA.Columns(0, Config.KvLoraRank), layer.Attention.KvB, w.Kv); // kv [T, H·(Dn+Dv)]
            Backend.CausalAttention(w.Q, w.Kv, kRope, Shape, positions, w.Attention);    // attn [T, H·Dv]
            FinishLayer(layer, l, paged: false);
        }
        var (final, output) = _work.Output(t);
        Backend.RmsNorm(w.X, _finalNorm, (float)Config.RmsNormEps, final);
        Backend.MatMul(final, _lmHead, output);                                          // logits [T, V]
        Backend.Read(output, logits);
        CheckLogits(final, logits);
    }

    public void Dispose()
    {
        _work.Dispose();
        Backend.Dispose();
    }

    private void CheckTokens(ReadOnlySpan<int> tokens)
    {
        for (int i = 0; i < tokens.Length; i++)
            if ((uint)tokens[i] >= (uint)Config.VocabSize)
                throw new ArgumentOutOfRangeException(
                    nameof(tokens),
                    $"token id {tokens[i]} at position {i} is outside the vocabulary [0, {Config.VocabSize})");
    }

    /// <summary>From h: q with rope applied, the normalized latent c and the rotated k_pe (views into the workspace);
    /// returns k_pe.</summary>
    private TensorView ProjectAttentionInputs(Attention a, ReadOnlySpan<int> positions)
    {
        var w = _work;
        if (a.Q is not null)
        {
            Backend.MatMul(w.H, a.Q, w.Q);                                              // q [T, H·(Dn+Dr)]
        }
        else
        {
            Backend.MatMul(w.H, a.QA!, w.QLatent!.Value);                               // q_a [T, Rq]
            Backend.RmsNorm(w.QLatent.Value, a.QANorm!, K2Config.LatentNormEps, w.QLatent.Value);
            Backend.MatMul(w.QLatent.Value, a.QB!, w.Q);                                // q [T, H·(Dn+Dr)]
        }
        Backend.Rope(w.Q, Shape.Heads, Shape.QueryHeadDim, Shape.NopeDim, Rope, positions);

        Backend.MatMul(w.H, a.KvA, w.KvA);                                              // kv_a [T, Rkv+Dr]
        var latent = w.KvA.Columns(0, Config.KvLoraRank);                               // c [T, Rkv]
        var kRope = w.KvA.Columns(Config.KvLoraRank, Shape.RopeDim);                    // k_pe [T, Dr]
        Backend.RmsNorm(latent, a.KvANorm, K2Config.LatentNormEps, latent);
        Backend.Rope(kRope, 1, Shape.RopeDim, 0, Rope, positions);
        return kRope;
    }

    /// <summary>x += o_proj(attn); x += MLP or MoE of RMSNorm(x); each half ends with a check that x is
    /// finite.</summary>
    private void FinishLayer(Layer layer, int l, bool paged)
    {
        var w = _work;
        Backend.MatMul(w.Attention, layer.Attention.O, w.Delta);                        // delta [T, D]
        Backend.Add(w.X, w.Delta);
        if (!_check.BoundaryOk(w.X))
            throw _check.FirstNonFinite(l, AttentionOutputs(layer.Attention, paged))
                ?? Unexplained(l, "the residual add after self_attn");
        Backend.RmsNorm(w.X, layer.PostAttentionNorm, (float)Config.RmsNormEps, w.H);
        if (layer.FeedForward is { } mlp)
        {
            var gate = w.Gate.Columns(0, mlp.Gate.Rows);                                 // [T, F or I]
            var up = w.Up.Columns(0, mlp.Up.Rows);
            Backend.MatMul(w.H, mlp.Gate, gate);
            Backend.MatMul(w.H, mlp.Up, up);
            Backend.SiluMul(gate, up, gate);
            Backend.MatMul(gate, mlp.Down, w.Delta);                                     // delta [T, D]
        }
        else
        {
            Backend.Clear(w.Delta);
        }
        if (layer.Moe is { } moe)
        {
            try
            {
                Backend.RoutedExperts(w.H, moe, w.Delta);                               // delta += Σ w_k expert_k(h)
            }
            catch (NonFiniteActivationException e) when (e.Layer < 0)
            {
                throw _check.FirstNonFinite(l, [("post_attention_layernorm", w.H)]) ?? e.InLayer(l);
            }
        }
        Backend.Add(w.X, w.Delta);
        if (!_check.BoundaryOk(w.X))
            throw _check.FirstNonFinite(l, FeedForwardOutputs(layer)) ?? Unexplained(l, "the residual add after mlp");
    }

    /// <summary>The buffers the attention half wrote, in the order it wrote them, named by the weights that made
    /// them.</summary>
    private IEnumerable<(string, TensorView)> AttentionOutputs(Attention a, bool paged)
    {
        var w = _work;
        yield return ("input_layernorm", w.H);
        if (a.Q is null)
        {
            yield return ("self_attn.q_a_proj and q_a_layernorm", w.QLatent!.Value);
            yield return ("self_attn.q_b_proj (with rope)", w.Q);
        }
        else
        {
            yield return ("self_attn.q_proj (with rope)", w.Q);
        }
        yield return ("self_attn.kv_a_proj_with_mqa and kv_a_layernorm (with rope)", w.KvA);
        if (paged)
        {
            yield return ("self_attn.kv_b_proj (absorbed into the queries)", w.AbsorbedQuery);
            yield return ("attention over the paged cache", w.AttendedLatent);
            yield return ("self_attn.kv_b_proj (values)", w.Attention);
        }
        else
        {
            yield return ("self_attn.kv_b_proj", w.Kv);
            yield return ("attention", w.Attention);
        }
        yield return ("self_attn.o_proj", w.Delta);
    }

    private IEnumerable<(string, TensorView)> FeedForwardOutputs(Layer layer)
    {
        var w = _work;
        yield return ("post_attention_layernorm", w.H);
        string prefix = layer.Moe is null ? "mlp" : "mlp.shared_experts";
        if (layer.FeedForward is { } mlp)
            yield return ($"{prefix}.gate_proj and up_proj (silu(gate)·up)", w.Gate.Columns(0, mlp.Gate.Rows));
        yield return (layer.Moe is null ? "mlp.down_proj" : "mlp.experts and mlp.shared_experts (their sum)", w.Delta);
    }

    private void Embed(ReadOnlySpan<int> tokens)
    {
        Backend.Embed(tokens, _embedding, _work.X);
        if (!_check.BoundaryOk(_work.X)) throw _check.FirstNonFinite(-1, [("model.embed_tokens", _work.X)])!;
    }

    private void CheckLogits(TensorView final, ReadOnlySpan<float> logits)
    {
        if (ActivationCheck.AllFinite(logits)) return;
        throw _check.FirstNonFinite(-1, [("model.norm", final)])
            ?? ActivationCheck.Problem(-1, "lm_head", Config.VocabSize, logits);
    }

    private static NonFiniteActivationException Unexplained(int layer, string operation) =>
        new(layer, operation, "every buffer before it was finite (an overflow in the sum)");

    private static Mlp LoadMlp(Backend backend, MlpWeights m) => new(
        backend.Load(m.Gate), backend.Load(m.Up), backend.Load(m.Down));

    private sealed record Attention(
        Weight? QA,
        WeightVector? QANorm,
        Weight? QB,
        Weight? Q,
        Weight KvA,
        WeightVector KvANorm,
        Weight KvB,
        Weight O);

    private sealed record Mlp(Weight Gate, Weight Up, Weight Down);

    private sealed record Layer(
        WeightVector InputNorm, Attention Attention, WeightVector PostAttentionNorm, Mlp? FeedForward, MoeLayer? Moe);
}

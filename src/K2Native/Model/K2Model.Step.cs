// The generation path of the model: a step runs the tokens of a StepBatch (prompt chunks and decode tokens of
// one or more sequences) through every layer, writing each token's latent cache entry into its slot and
// attending with absorbed MLA over the paged cache (K2-SPEC section 2): q_nope is folded through the k half of
// kv_b into the latent space, scores are taken against the cached [c | k_pe] entries, and the v half of kv_b
// turns the attended latent back into per-head values. Only the rows the batch asks for reach lm_head.
using K2Native.Backends;

namespace K2Native.Model;

public sealed partial class K2Model
{
    /// <summary>Runs <paramref name="batch"/> against <paramref name="cache"/>; writes logits [batch.LogitCount, V] row-major.</summary>
    /// <param name="abandon">Asked between layers; when it returns true the step stops there and returns false. The
    /// batch's cache slots then hold partial entries that no computed token refers to, and the logits are not written.</param>
    /// <returns>True when the step ran to the end.</returns>
    public bool Step(StepBatch batch, KvCacheStorage cache, Span<float> logits, Func<bool>? abandon = null)
    {
        int t = batch.Count, v = Config.VocabSize;
        if (t == 0) throw new ArgumentException("Step needs at least one token", nameof(batch));
        if (logits.Length != (long)batch.LogitCount * v)
            throw new ArgumentException($"logits must hold {batch.LogitCount} x {v} values, got {logits.Length}", nameof(logits));
        var layout = cache.Layout;
        if (layout.Layers != Config.NumHiddenLayers || layout.LatentDim != Config.KvLoraRank || layout.RopeDim != Config.QkRopeHeadDim)
            throw new ArgumentException($"cache layout {layout} does not fit this model ({Config.NumHiddenLayers} layers, entries {Config.KvLoraRank} + {Config.QkRopeHeadDim})");
        var tokens = batch.TokenIds.AsSpan(0, t);
        var positions = batch.Positions.AsSpan(0, t);
        CheckTokens(tokens);
        foreach (int p in positions)
            if ((uint)p >= (uint)Config.MaxPositionEmbeddings)
                throw new ArgumentOutOfRangeException(nameof(batch), $"position {p} is outside the context of {Config.MaxPositionEmbeddings} positions");

        _work.Prepare(t, paged: true);
        var w = _work;
        var profile = Profile;
        long started = profile is null ? 0 : System.Diagnostics.Stopwatch.GetTimestamp();
        Backend.Embed(tokens, _embedding, w.X);                                          // x [T, D]
        for (int l = 0; l < _layers.Length; l++)
        {
            var layer = _layers[l];
            Backend.RmsNorm(w.X, layer.InputNorm, (float)Config.RmsNormEps, w.H);       // h [T, D]
            var kRope = ProjectAttentionInputs(layer.Attention, positions);              // q [T, H·(Dn+Dr)], c [T, Rkv], k_pe [T, Dr]
            Backend.WriteKv(cache, l, w.KvA.Columns(0, Config.KvLoraRank), kRope, batch.Slots.AsSpan(0, t));
            Backend.AbsorbQuery(w.Q, layer.Attention.KvB, Shape, w.AbsorbedQuery);       // q_lat [T, H·Rkv]
            Backend.PagedAttention(w.AbsorbedQuery, w.Q, cache, l, batch.Attention, Shape, w.AttendedLatent); // o_lat [T, H·Rkv]
            Backend.ExpandValues(w.AttendedLatent, layer.Attention.KvB, Shape, w.Attention); // attn [T, H·Dv]
            FinishLayer(layer);
            profile?.Record(t, l, ref started);
            if (abandon is not null && abandon()) return false;
        }
        if (batch.LogitCount == 0) return true;
        var (final, output) = _work.Output(batch.LogitCount);
        Backend.GatherRows(w.X, batch.LogitRows.AsSpan(0, batch.LogitCount), final);     // [L, D]
        Backend.RmsNorm(final, _finalNorm, (float)Config.RmsNormEps, final);
        Backend.MatMul(final, _lmHead, output);                                          // logits [L, V]
        Backend.Read(output, logits);
        profile?.Record(t, _layers.Length, ref started);
        return true;
    }

    /// <summary>When set, every step adds its time per layer (and for the final norm and lm_head) here.</summary>
    public StepProfile? Profile { get; set; }
}

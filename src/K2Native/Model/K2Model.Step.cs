// The generation path of the model: a step runs the tokens of a StepBatch (prompt chunks and decode tokens of
// one or more sequences) through every layer, writing each token's latent cache entry into its slot and
// attending with absorbed MLA over the paged cache (K2-SPEC section 2): q_nope is folded through the k half of
// kv_b into the latent space, scores are taken against the cached [c | k_pe] entries, and the v half of kv_b
// turns the attended latent back into per-head values. Only the rows the batch asks for reach lm_head.
using K2Native.Backends;
using K2Native.Checkpoint;

namespace K2Native.Model;

public sealed partial class K2Model
{
    /// <summary>The paged cache layout this model's steps read and write: per layer and token one latent entry of
    /// kv_lora_rank values and one rotated key of qk_rope_head_dim values.</summary>
    public KvCacheLayout CacheLayout(int blocks, int blockSize, KvCacheDType dtype) => CacheLayout(
        Config, blocks, blockSize, dtype);

    /// <summary>The cache layout of a model with <paramref name="config"/>, before its weights are loaded.</summary>
    public static KvCacheLayout CacheLayout(K2Config config, int blocks, int blockSize, KvCacheDType dtype) =>
        new(config.NumHiddenLayers, blocks, blockSize, config.KvLoraRank, config.QkRopeHeadDim, dtype);

    /// <summary>Bytes one token's cache entries take over all layers.</summary>
    public long CacheBytesPerToken(KvCacheDType dtype) => CacheLayout(1, 1, dtype).BytesPerToken;

    /// <summary>A zeroed cache of <paramref name="blocks"/> blocks of <paramref name="blockSize"/> tokens on this
    /// model's backend, laid out as <see cref="Step"/> needs it (the backend's ops check a cache made
    /// elsewhere).</summary>
    public KvCacheStorage NewKvCache(int blocks, int blockSize, KvCacheDType dtype) =>
        Backend.NewKvCache(CacheLayout(blocks, blockSize, dtype));

    /// <summary>Runs <paramref name="batch"/> against <paramref name="cache"/>; writes logits [batch.LogitCount, V]
    /// row-major.</summary>
    /// <param name="abandon">Asked after each layer's attention and after each layer; when it returns true the step
    /// stops there and returns false. The batch's cache slots then hold partial entries that no computed token refers
    /// to, and the logits are not written.</param>
    /// <returns>True when the step ran to the end.</returns>
    public bool Step(StepBatch batch, KvCacheStorage cache, Span<float> logits, Func<bool>? abandon = null)
    {
        int t = batch.Count, v = Config.VocabSize;
        if (t == 0) throw new ArgumentException("Step needs at least one token", nameof(batch));
        if (logits.Length != (long)batch.LogitCount * v)
            throw new ArgumentException(
                $"logits must hold {batch.LogitCount} x {v} values, got {logits.Length}", nameof(logits));
        var tokens = batch.TokenIds.AsSpan(0, t);
        var positions = batch.Positions.AsSpan(0, t);
        CheckTokens(tokens);
        foreach (int p in positions)
            if ((uint)p >= (uint)Config.MaxPositionEmbeddings)
                throw new ArgumentOutOfRangeException(
                    nameof(batch), $"position {p} is outside the context of {Config.MaxPositionEmbeddings} positions");

        _work.Prepare(t, paged: true);
        _stepBatch = batch;
        _stepCache = cache;
        _stepAbandon = abandon;
        _stepAbandoned = false;
        try
        {
            // A profiled step runs as it is (a replayed graph would have no per-layer times to record).
            if (Profile is null)
                Backend.RunStep(
                    new StepInputs(
                        batch.TokenIds, batch.Positions, batch.Slots, batch.Attention, batch.LogitRows, t,
                        batch.LogitCount, cache),
                    _stepBody);
            else RunStepBody();
        }
        finally
        {
            _stepBatch = null;
            _stepCache = null;
            _stepAbandon = null;
        }
        if (_stepAbandoned) return false;
        if (batch.LogitCount == 0) return true;
        var (final, output) = _work.Output(batch.LogitCount);
        Backend.Read(output, logits);
        CheckLogits(final, logits);
        Profile?.Record(t, _layers.Length, ref _profileStarted);   // final norm, lm_head and the read
        return true;
    }

    /// <summary>The device work of the step in _stepBatch against _stepCache (queued ops only; the caller reads
    /// logits).</summary>
    private void RunStepBody()
    {
        var batch = _stepBatch!;
        var cache = _stepCache!;
        int t = batch.Count;
        var tokens = batch.TokenIds.AsSpan(0, t);
        var positions = batch.Positions.AsSpan(0, t);
        var w = _work;
        var profile = Profile;
        _profileStarted = profile is null ? 0 : System.Diagnostics.Stopwatch.GetTimestamp();
        Embed(tokens);                                                                   // x [T, D]
        for (int l = 0; l < _layers.Length; l++)
        {
            var layer = _layers[l];
            Backend.RmsNorm(w.X, layer.InputNorm, (float)Config.RmsNormEps, w.H);       // h [T, D]
            // q [T, H·(Dn+Dr)], c [T, Rkv], k_pe [T, Dr]
            var kRope = ProjectAttentionInputs(layer.Attention, positions);
            Backend.WriteKv(cache, l, w.KvA.Columns(0, Config.KvLoraRank), kRope, batch.Slots.AsSpan(0, t));
            Backend.AbsorbQuery(w.Q, layer.Attention.KvB, Shape, w.AbsorbedQuery);       // q_lat [T, H·Rkv]
            // o_lat [T, H·Rkv]
            Backend.PagedAttention(w.AbsorbedQuery, w.Q, cache, l, batch.Attention, Shape, w.AttendedLatent);
            Backend.ExpandValues(w.AttendedLatent, layer.Attention.KvB, Shape, w.Attention); // attn [T, H·Dv]
            if (Abandoned()) return;
            FinishLayer(layer, l, paged: true);
            profile?.Record(t, l, ref _profileStarted);
            if (Abandoned()) return;
        }
        if (batch.LogitCount == 0) return;
        var (final, output) = _work.Output(batch.LogitCount);
        Backend.GatherRows(w.X, batch.LogitRows.AsSpan(0, batch.LogitCount), final);     // [L, D]
        Backend.RmsNorm(final, _finalNorm, (float)Config.RmsNormEps, final);
        Backend.MatMul(final, _lmHead, output);                                          // logits [L, V]
    }

    /// <summary>Asks the step's abandon callback (between attention and the feed-forward, and after each layer). A step
    /// replayed from a CUDA graph runs whole and is never abandoned.</summary>
    private bool Abandoned() => _stepAbandon is not null && (_stepAbandoned = _stepAbandon());

    private StepBatch? _stepBatch;
    private KvCacheStorage? _stepCache;
    private long _profileStarted;
    private Func<bool>? _stepAbandon;
    private bool _stepAbandoned;

    /// <summary>When set, every step adds its time per layer (and for the final norm and lm_head) here.</summary>
    public StepProfile? Profile { get; set; }
}

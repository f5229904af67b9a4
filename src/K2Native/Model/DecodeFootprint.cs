// The bytes one decode step must read, per layer, for one sequence at a given context length: every weight
// the token passes through (attention projections and norms, the dense MLP, or the router, the shared expert
// and K routed experts, assumed distinct), the cache entries attention reads, and lm_head plus one embedding
// row at the end. Divided by a read bandwidth, this is the floor that decode speed is measured against
// (K2-SPEC section 6: ~33 GB per token for K2 Thinking).
using K2Native.Checkpoint;

namespace K2Native.Model;

/// <summary>Bytes a single-token decode step reads.</summary>
public sealed class DecodeFootprint
{
    private DecodeFootprint(long[] layerWeights, long[] layerCache, long final)
    {
        LayerWeightBytes = layerWeights;
        LayerCacheBytes = layerCache;
        FinalBytes = final;
    }

    /// <summary>Weight bytes of each layer.</summary>
    public IReadOnlyList<long> LayerWeightBytes { get; }

    /// <summary>Cache bytes attention reads in each layer.</summary>
    public IReadOnlyList<long> LayerCacheBytes { get; }

    /// <summary>Final norm, lm_head and one embedding row.</summary>
    public long FinalBytes { get; }

    /// <summary>Everything one token reads.</summary>
    public long TotalBytes => LayerWeightBytes.Sum() + LayerCacheBytes.Sum() + FinalBytes;

    /// <summary>The footprint of <paramref name="weights"/> at <paramref name="context"/> cached tokens with entries of
    /// <paramref name="cacheElementBytes"/> bytes.</summary>
    public static DecodeFootprint Of(K2Config config, K2Weights weights, int context, int cacheElementBytes)
    {
        int layers = weights.Layers.Length;
        var w = new long[layers];
        var cache = new long[layers];
        for (int l = 0; l < layers; l++)
        {
            var layer = weights.Layers[l];
            var a = layer.Attention;
            long bytes = Vector(layer.InputNorm) + Vector(layer.PostAttentionNorm) + Vector(a.KvANorm)
                + Vector(a.QANorm)
                + Bytes(a.QA) + Bytes(a.QB) + Bytes(a.Q) + a.KvA.ByteSize + a.KvB.ByteSize + a.O.ByteSize;
            if (layer.Dense is { } dense) bytes += Mlp(dense);
            if (layer.Moe is { } moe)
            {
                bytes += moe.Router.ByteSize + Vector(moe.CorrectionBias) + (moe.Shared is { } s ? Mlp(s) : 0);
                bytes += moe.Experts.Take(config.NumExpertsPerTok).Sum(Mlp);
            }
            w[l] = bytes;
            cache[l] = (long)context * (config.KvLoraRank + config.QkRopeHeadDim) * cacheElementBytes;
        }
        long final = Vector(weights.FinalNorm) + weights.LmHead.ByteSize + 2L * config.HiddenSize;
        return new DecodeFootprint(w, cache, final);
    }

    private static long Bytes(MatrixSource? m) => m?.ByteSize ?? 0;

    private static long Vector(float[]? v) => 2L * (v?.Length ?? 0);

    private static long Mlp(MlpWeights m) => m.Gate.ByteSize + m.Up.ByteSize + m.Down.ByteSize;
}

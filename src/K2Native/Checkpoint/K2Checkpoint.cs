// Opens a K2-format checkpoint directory: config.json, the safetensors files (mapped, never copied),
// and every weight the model needs, cross-checked against the config. Any problem is reported with
// the file and tensor it concerns, all problems at once.

namespace K2Native.Checkpoint;

/// <summary>A validated K2 checkpoint: config, mapped tensors and typed weights. Dispose to unmap.</summary>
public sealed class K2Checkpoint : IDisposable
{
    private K2Checkpoint(
        string directory, K2Config config, SafetensorsCheckpoint tensors, K2Weights weights,
        IReadOnlyList<string> warnings)
    {
        Directory = directory;
        Config = config;
        Tensors = tensors;
        Weights = weights;
        Warnings = warnings;
    }

    public string Directory { get; }

    public K2Config Config { get; }

    public SafetensorsCheckpoint Tensors { get; }

    public K2Weights Weights { get; }

    /// <summary>Tensors present in the files that the model does not use.</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>Opens and validates <paramref name="directory"/>; throws <see cref="CheckpointException"/> on any
    /// problem.</summary>
    public static K2Checkpoint Open(string directory)
    {
        var config = K2Config.Load(directory);
        var tensors = SafetensorsCheckpoint.Open(directory);
        try
        {
            var binder = new WeightBinder(tensors, config.Quantization);
            var weights = Bind(config, binder);
            binder.CheckFp8Codes();
            if (binder.Problems.Count > 0 || weights is null)
                throw new CheckpointValidationException(directory, binder.Problems);
            var warnings = tensors.Names
                .Where(n => !binder.Used.Contains(n) && !K2Names.IsIgnored(n, config))
                .Order(StringComparer.Ordinal)
                .Select(n => $"tensor '{n}' is not used by the model")
                .ToList();
            return new K2Checkpoint(directory, config, tensors, weights, warnings);
        }
        catch
        {
            tensors.Dispose();
            throw;
        }
    }

    public void Dispose() => Tensors.Dispose();

    private static K2Weights? Bind(K2Config c, WeightBinder b)
    {
        int d = c.HiddenSize;
        var embedding = b.Matrix(K2Names.Embedding, c.VocabSize, d, "vocab_size, hidden_size");
        var layers = new LayerWeights?[c.NumHiddenLayers];
        for (int l = 0; l < c.NumHiddenLayers; l++) layers[l] = BindLayer(c, b, l);
        var finalNorm = b.Vector(K2Names.FinalNorm, d, "hidden_size");
        var lmHead = c.TieWordEmbeddings && !b.Has(K2Names.LmHead + ".weight") && embedding is not null
            ? embedding
            : b.Linear(K2Names.LmHead, c.VocabSize, d, "vocab_size, hidden_size");
        if (embedding is null || finalNorm is null || lmHead is null || layers.Any(l => l is null)) return null;
        return new K2Weights(embedding, layers!, finalNorm, lmHead);

        static LayerWeights? BindLayer(K2Config c, WeightBinder b, int l)
        {
            int d = c.HiddenSize, h = c.NumAttentionHeads;
            string p = K2Names.Layer(l), a = K2Names.Attention(l);
            var inputNorm = b.Vector(p + ".input_layernorm.weight", d, "hidden_size");
            var postNorm = b.Vector(p + ".post_attention_layernorm.weight", d, "hidden_size");

            MatrixSource? qa = null, qb = null, q = null;
            float[]? qaNorm = null;
            bool queryOk;
            if (c.QLoraRank is int rank)
            {
                qa = b.Linear(a + ".q_a_proj", rank, d, "q_lora_rank, hidden_size");
                qaNorm = b.Vector(a + ".q_a_layernorm.weight", rank, "q_lora_rank");
                qb = b.Linear(
                    a + ".q_b_proj", h * c.QkHeadDim, rank,
                    "num_attention_heads*(qk_nope_head_dim+qk_rope_head_dim), q_lora_rank");
                queryOk = qa is not null && qaNorm is not null && qb is not null;
            }
            else
            {
                q = b.Linear(
                    a + ".q_proj", h * c.QkHeadDim, d,
                    "num_attention_heads*(qk_nope_head_dim+qk_rope_head_dim), hidden_size; q_lora_rank is null");
                queryOk = q is not null;
            }
            var kvA = b.Linear(
                a + ".kv_a_proj_with_mqa", c.KvLoraRank + c.QkRopeHeadDim, d,
                "kv_lora_rank+qk_rope_head_dim, hidden_size");
            var kvANorm = b.Vector(a + ".kv_a_layernorm.weight", c.KvLoraRank, "kv_lora_rank");
            var kvB = b.Linear(
                a + ".kv_b_proj", h * (c.QkNopeHeadDim + c.VHeadDim), c.KvLoraRank,
                "num_attention_heads*(qk_nope_head_dim+v_head_dim), kv_lora_rank");
            var o = b.Linear(a + ".o_proj", d, h * c.VHeadDim, "hidden_size, num_attention_heads*v_head_dim");

            MlpWeights? dense = null;
            MoeWeights? moe = null;
            bool mlpOk;
            if (c.IsMoeLayer(l))
            {
                moe = BindMoe(c, b, l);
                mlpOk = moe is not null;
            }
            else
            {
                dense = b.Mlp(
                    K2Names.Mlp(l), d, c.IntermediateSize, $"hidden_size, intermediate_size; layer {l} is dense");
                mlpOk = dense is not null;
            }

            if (!queryOk || inputNorm is null || postNorm is null || kvA is null || kvANorm is null || kvB is null
                || o is null || !mlpOk)
                return null;
            return new LayerWeights(
                inputNorm, new AttentionWeights(qa, qaNorm, qb, q, kvA, kvANorm, kvB, o), postNorm, dense, moe);
        }

        static MoeWeights? BindMoe(K2Config c, WeightBinder b, int l)
        {
            int d = c.HiddenSize;
            string m = K2Names.Mlp(l);
            var router = b.Matrix(m + ".gate.weight", c.NRoutedExperts, d, "n_routed_experts, hidden_size");
            var bias = b.Vector(m + ".gate.e_score_correction_bias", c.NRoutedExperts, "n_routed_experts");
            var experts = new MlpWeights?[c.NRoutedExperts];
            for (int e = 0; e < c.NRoutedExperts; e++)
                experts[e] = b.Mlp(
                    K2Names.Expert(l, e), d, c.MoeIntermediateSize, "hidden_size, moe_intermediate_size");
            MlpWeights? shared = null;
            if (c.NSharedExperts > 0)
            {
                shared = b.Mlp(
                    K2Names.SharedExperts(l), d, c.SharedIntermediateSize,
                    "hidden_size, moe_intermediate_size*n_shared_experts");
                if (shared is null) return null;
            }
            if (router is null || bias is null || experts.Any(e => e is null)) return null;
            return new MoeWeights(router, bias, experts!, shared);
        }
    }
}

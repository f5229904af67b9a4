// config.json of a Kimi K2 / DeepSeek-V3 checkpoint as a typed, validated object
// (every field of K2-SPEC section 1). Problems are collected and reported together, each with its field name.
using System.Text.Json;

namespace K2Native.Checkpoint;

/// <summary>YaRN context extension (rope_scaling with type "yarn").</summary>
public sealed record RopeScaling(
    double Factor,
    int OriginalMaxPositionEmbeddings,
    double BetaFast,
    double BetaSlow,
    double? Mscale,
    double? MscaleAllDim,
    double? AttentionFactor);

/// <summary>The architecture and numerics of a K2-format model.</summary>
public sealed class K2Config
{
    public const string FileName = "config.json";

    /// <summary>Epsilon of q_a_layernorm and kv_a_layernorm: transformers builds them with 1e-6 whatever rms_norm_eps
    /// says.</summary>
    public const float LatentNormEps = 1e-6f;

    /// <summary>The largest vocab_size accepted (K2: 163,840).</summary>
    public const int MaxVocabSize = 1 << 24;

    public required string ModelType { get; init; }
    public required int VocabSize { get; init; }
    public required int HiddenSize { get; init; }
    public required int NumHiddenLayers { get; init; }
    public required int IntermediateSize { get; init; }
    public required int MoeIntermediateSize { get; init; }
    public required int NRoutedExperts { get; init; }
    public required int NumExpertsPerTok { get; init; }
    public required int NSharedExperts { get; init; }
    public required int NGroup { get; init; }
    public required int TopkGroup { get; init; }
    public required string ScoringFunc { get; init; }
    public required string TopkMethod { get; init; }
    public required bool NormTopkProb { get; init; }
    public required double RoutedScalingFactor { get; init; }
    public required int FirstKDenseReplace { get; init; }
    public required int MoeLayerFreq { get; init; }
    public required int NumAttentionHeads { get; init; }
    public required int? QLoraRank { get; init; }
    public required int KvLoraRank { get; init; }
    public required int QkNopeHeadDim { get; init; }
    public required int QkRopeHeadDim { get; init; }
    public required int VHeadDim { get; init; }
    public required double RopeTheta { get; init; }
    public required RopeScaling? RopeScaling { get; init; }
    public required int MaxPositionEmbeddings { get; init; }
    public required double RmsNormEps { get; init; }
    public required int? BosTokenId { get; init; }
    public required IReadOnlyList<int> EosTokenIds { get; init; }
    public required bool TieWordEmbeddings { get; init; }
    public required int NumNextnPredictLayers { get; init; }
    public required string HiddenAct { get; init; }
    public required QuantizationScheme Quantization { get; init; }

    /// <summary>Per-head query/key width: nope + rope.</summary>
    public int QkHeadDim => QkNopeHeadDim + QkRopeHeadDim;

    /// <summary>Width of the shared expert(s): n_shared_experts experts fused into one MLP.</summary>
    public int SharedIntermediateSize => MoeIntermediateSize * NSharedExperts;

    /// <summary>True when layer <paramref name="layer"/> is a mixture-of-experts layer (DeepSeek's rule).</summary>
    public bool IsMoeLayer(int layer) => layer >= FirstKDenseReplace && layer % MoeLayerFreq == 0;

    /// <summary>Reads and validates <c>config.json</c> in <paramref name="directory"/>.</summary>
    public static K2Config Load(string directory)
    {
        string path = Path.Combine(directory, FileName);
        if (!File.Exists(path)) throw CheckpointException.InFile(path, "file not found");
        return Parse(File.ReadAllBytes(path), path);
    }

    /// <summary>Validates config JSON; <paramref name="source"/> names it in errors.</summary>
    public static K2Config Parse(ReadOnlySpan<byte> json, string source)
    {
        if (json.Length > 16 * 1024 * 1024)
            throw CheckpointException.InFile(source, $"is {json.Length} bytes, over the 16 MiB limit for a config");
        var doc = CheckpointJson.Parse(json.ToArray(), source, maxDepth: 16);
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw CheckpointException.InFile(source, $"must hold a JSON object, found {doc.RootElement.ValueKind}");
            var problems = new List<string>();
            var unsupported = new List<string>();
            var reader = new ConfigReader(source, doc.RootElement, problems);
            var config = Read(reader, unsupported);
            if (unsupported.Count > 0)
                throw new UnsupportedCheckpointException(
                    $"{source}: this checkpoint uses what K2Native does not support:"
                        + string.Concat(unsupported.Select(u => "\n  - " + u)))
                { File = source };
            if (problems.Count > 0)
                throw new CheckpointException(
                    $"{source}: {problems.Count} problem{(problems.Count == 1 ? "" : "s")}:"
                        + string.Concat(problems.Select(p => "\n  - " + p)))
                { File = source, Field = FirstField(problems) };
            return config!;
        }
    }

    private static K2Config? Read(ConfigReader r, List<string> unsupported)
    {
        const int MaxDim = 1 << 20;
        string modelType = r.String("model_type", required: true) ?? "";
        if (modelType.Length > 0 && modelType is not ("kimi_k2" or "deepseek_v3"))
            unsupported.Add($"model_type '{modelType}' (supported: kimi_k2, deepseek_v3)");

        int vocab = r.Int("vocab_size", 1, MaxVocabSize);
        int hidden = r.Int("hidden_size", 1, 1 << 16);
        int layers = r.Int("num_hidden_layers", 1, 4096);
        int intermediate = r.Int("intermediate_size", 1, MaxDim);
        int moeIntermediate = r.Int("moe_intermediate_size", 1, MaxDim);
        int experts = r.Int("n_routed_experts", 1, 4096);
        int perTok = r.Int("num_experts_per_tok", 1, 4096);
        int shared = r.IntOr("n_shared_experts", 0, 64, 1);
        int nGroup = r.IntOr("n_group", 1, 4096, 1);
        int topkGroup = r.IntOr("topk_group", 1, 4096, 1);
        string scoring = r.String("scoring_func", required: false) ?? "sigmoid";
        string topkMethod = r.String("topk_method", required: false) ?? "noaux_tc";
        bool normTopk = r.Bool("norm_topk_prob", fallback: true);
        double scaling = r.Double("routed_scaling_factor", 1e-6, 1e6);
        int firstDense = r.Int("first_k_dense_replace", 0, 4096);
        int moeFreq = r.IntOr("moe_layer_freq", 1, 4096, 1);
        int heads = r.Int("num_attention_heads", 1, 4096);
        int? qLora = null;
        if (!r.Object.TryGetProperty("q_lora_rank", out _))
            r.Problem("q_lora_rank", "missing (write null for a model without query compression)");
        else
            qLora = r.OptionalInt("q_lora_rank", 1, MaxDim);
        int kvLora = r.Int("kv_lora_rank", 1, MaxDim);
        int nope = r.Int("qk_nope_head_dim", 1, 4096);
        int rope = r.Int("qk_rope_head_dim", 2, 4096);
        int vDim = r.Int("v_head_dim", 1, 4096);
        double theta = r.Double("rope_theta", 1e-3, 1e12, fallback: 10000);
        if (theta <= 1)
            r.Problem(
                "rope_theta",
                $"{theta} must be above 1: RoPE's frequencies are powers of 1/θ and YaRN divides by ln θ");
        var ropeScaling = ReadRopeScaling(r, unsupported);
        int maxPos = r.Int("max_position_embeddings", 1, 1 << 26);
        double eps = r.Double("rms_norm_eps", 1e-12, 0.1);
        int? bos = r.OptionalInt("bos_token_id", 0, int.MaxValue);
        var eos = ReadEos(r);
        bool tie = r.Bool("tie_word_embeddings", fallback: false);
        int nextn = r.IntOr("num_nextn_predict_layers", 0, 64, 0);
        string act = r.String("hidden_act", required: false) ?? "silu";
        var quantization = QuantizationScheme.Read(r, unsupported);

        if (scoring != "sigmoid") unsupported.Add($"scoring_func '{scoring}' (supported: sigmoid)");
        if (topkMethod != "noaux_tc") unsupported.Add($"topk_method '{topkMethod}' (supported: noaux_tc)");
        if (act != "silu") unsupported.Add($"hidden_act '{act}' (supported: silu)");
        if (r.Object.TryGetProperty("attention_bias", out var bias) && bias.ValueKind == JsonValueKind.True)
            unsupported.Add("attention_bias true (K2 has no attention biases)");
        if (rope % 2 != 0) r.Problem("qk_rope_head_dim", $"{rope} is odd; RoPE rotates pairs");
        if (experts > 0 && nGroup > 0)
        {
            if (experts % nGroup != 0) r.Problem("n_group", $"{nGroup} does not divide n_routed_experts {experts}");
            else if (nGroup > 1 && experts / nGroup < 2)
                r.Problem(
                    "n_group",
                    $"{nGroup} groups of {experts / nGroup} expert: group scores need at least 2 experts per group");
            if (topkGroup > nGroup) r.Problem("topk_group", $"{topkGroup} exceeds n_group {nGroup}");
            else if (perTok > topkGroup * (experts / nGroup))
                r.Problem(
                    "num_experts_per_tok",
                    $"{perTok} exceeds the {topkGroup * (experts / nGroup)} experts that topk_group {topkGroup} of "
                    + $"n_group {nGroup} leave selectable");
        }
        if (bos is int b && b >= vocab) r.Problem("bos_token_id", $"{b} is not below vocab_size {vocab}");
        foreach (int e in eos.Where(e => e >= vocab)) r.Problem("eos_token_id", $"{e} is not below vocab_size {vocab}");
        if (firstDense > layers) r.Problem("first_k_dense_replace", $"{firstDense} exceeds num_hidden_layers {layers}");
        if (r.Problems.Count > 0) return null;

        return new K2Config
        {
            ModelType = modelType,
            VocabSize = vocab,
            HiddenSize = hidden,
            NumHiddenLayers = layers,
            IntermediateSize = intermediate,
            MoeIntermediateSize = moeIntermediate,
            NRoutedExperts = experts,
            NumExpertsPerTok = perTok,
            NSharedExperts = shared,
            NGroup = nGroup,
            TopkGroup = topkGroup,
            ScoringFunc = scoring,
            TopkMethod = topkMethod,
            NormTopkProb = normTopk,
            RoutedScalingFactor = scaling,
            FirstKDenseReplace = firstDense,
            MoeLayerFreq = moeFreq,
            NumAttentionHeads = heads,
            QLoraRank = qLora,
            KvLoraRank = kvLora,
            QkNopeHeadDim = nope,
            QkRopeHeadDim = rope,
            VHeadDim = vDim,
            RopeTheta = theta,
            RopeScaling = ropeScaling,
            MaxPositionEmbeddings = maxPos,
            RmsNormEps = eps,
            BosTokenId = bos,
            EosTokenIds = eos,
            TieWordEmbeddings = tie,
            NumNextnPredictLayers = nextn,
            HiddenAct = act,
            Quantization = quantization,
        };
    }

    private static RopeScaling? ReadRopeScaling(ConfigReader r, List<string> unsupported)
    {
        var s = r.Child("rope_scaling", required: false);
        if (s is null) return null;
        string? type = s.String("type", required: false) ?? s.String("rope_type", required: false);
        if (type is null) { s.Problem("type", "missing (expected \"yarn\")"); return null; }
        if (type != "yarn")
        {
            unsupported.Add($"rope_scaling type '{type}' (supported: yarn, or no rope_scaling)");
            return null;
        }
        return new RopeScaling(
            Factor: s.Double("factor", 1.0, 1e6, 1.0),
            OriginalMaxPositionEmbeddings: s.Int("original_max_position_embeddings", 1, 1 << 26, 1),
            BetaFast: s.DoubleOr("beta_fast", 1e-6, 1e6, 32),
            BetaSlow: s.DoubleOr("beta_slow", 1e-6, 1e6, 1),
            Mscale: s.Has("mscale") ? s.Double("mscale", 0, 1e6) : null,
            MscaleAllDim: s.Has("mscale_all_dim") ? s.Double("mscale_all_dim", 0, 1e6) : null,
            AttentionFactor: s.Has("attention_factor") ? s.Double("attention_factor", 1e-6, 1e6) : null);
    }

    private static List<int> ReadEos(ConfigReader r)
    {
        var ids = new List<int>();
        if (!r.TryGet("eos_token_id", out var value)) return ids;
        if (value.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in value.EnumerateArray())
            {
                if (item.ValueKind == JsonValueKind.Number && item.TryGetInt32(out int id) && id >= 0) ids.Add(id);
                else r.Problem("eos_token_id", $"list entry {ConfigReader.Show(item)} is not a token id");
            }
        }
        else
        {
            int? id = r.OptionalInt("eos_token_id", 0, int.MaxValue);
            if (id is int v) ids.Add(v);
        }
        return ids;
    }

    private static string? FirstField(List<string> problems)
    {
        const string prefix = "field '";
        var first = problems[0];
        if (!first.StartsWith(prefix, StringComparison.Ordinal)) return null;
        int end = first.IndexOf('\'', prefix.Length);
        return end > 0 ? first[prefix.Length..end] : null;
    }
}

// Tensor names of a K2 / DeepSeek-V3 checkpoint (K2-SPEC section 3).
namespace K2Native.Checkpoint;

/// <summary>Builds the tensor and module names the checkpoint format uses.</summary>
internal static class K2Names
{
    public const string Embedding = "model.embed_tokens.weight";
    public const string FinalNorm = "model.norm.weight";
    public const string LmHead = "lm_head";

    public static string Layer(int layer) => $"model.layers.{layer}";

    public static string Attention(int layer) => $"model.layers.{layer}.self_attn";

    public static string Mlp(int layer) => $"model.layers.{layer}.mlp";

    public static string Expert(int layer, int expert) => $"model.layers.{layer}.mlp.experts.{expert}";

    public static string SharedExperts(int layer) => $"model.layers.{layer}.mlp.shared_experts";

    /// <summary>True for tensors the engine knowingly ignores (stale rotary caches, multi-token-prediction
    /// layers).</summary>
    public static bool IsIgnored(string name, K2Config config)
    {
        if (name.EndsWith(".rotary_emb.inv_freq", StringComparison.Ordinal)) return true;
        const string prefix = "model.layers.";
        if (!name.StartsWith(prefix, StringComparison.Ordinal)) return false;
        int dot = name.IndexOf('.', prefix.Length);
        return dot > 0
            && int.TryParse(name.AsSpan(prefix.Length, dot - prefix.Length), out int layer)
            && layer >= config.NumHiddenLayers
            && layer < config.NumHiddenLayers + config.NumNextnPredictLayers;
    }
}

// What `k2 info` reports about a checkpoint: parameter counts (logical, INT4 counted per weight),
// bytes by dtype and by part of the model, and the parameters a token activates.
namespace K2Native.Checkpoint;

/// <summary>Parts of the model that bytes and parameters are attributed to.</summary>
public enum ModelPart
{
    Embeddings,
    Attention,
    DenseMlp,
    Router,
    RoutedExperts,
    SharedExperts,
    Norms,
    LmHead,
    Other,
}

/// <summary>Counts of a checkpoint's parameters and bytes.</summary>
public sealed class CheckpointSummary
{
    private CheckpointSummary(
        Dictionary<ModelPart, (long Parameters, long Bytes)> parts, Dictionary<DType, long> bytesByDType,
        long activeParameters)
    {
        Parts = parts;
        BytesByDType = bytesByDType;
        ActiveParameters = activeParameters;
    }

    /// <summary>Parameters and bytes per part.</summary>
    public IReadOnlyDictionary<ModelPart, (long Parameters, long Bytes)> Parts { get; }

    /// <summary>Stored bytes per dtype.</summary>
    public IReadOnlyDictionary<DType, long> BytesByDType { get; }

    public long TotalParameters => Parts.Values.Sum(p => p.Parameters);

    public long TotalBytes => Parts.Values.Sum(p => p.Bytes);

    /// <summary>Parameters one token reads: everything but the routed experts it does not select.</summary>
    public long ActiveParameters { get; }

    public static CheckpointSummary Of(K2Checkpoint checkpoint)
    {
        var config = checkpoint.Config;
        var parts = Enum.GetValues<ModelPart>().ToDictionary(p => p, _ => (0L, 0L));
        var bytesByDType = new Dictionary<DType, long>();
        foreach (var name in checkpoint.Tensors.Names)
        {
            var info = checkpoint.Tensors.Get(name).Info;
            bytesByDType[info.DType] = bytesByDType.GetValueOrDefault(info.DType) + info.ByteLength;
            long parameters = name.EndsWith(".weight_packed", StringComparison.Ordinal) ? info.ElementCount * 8
                : name.EndsWith(".weight_scale", StringComparison.Ordinal)
                    || name.EndsWith(".weight_scale_inv", StringComparison.Ordinal)
                    || name.EndsWith(".weight_shape", StringComparison.Ordinal) ? 0
                : info.ElementCount;
            var part = Classify(name);
            var (p, b) = parts[part];
            parts[part] = (p + parameters, b + info.ByteLength);
        }
        long routed = parts[ModelPart.RoutedExperts].Item1;
        long active = parts.Values.Sum(v => v.Item1) - parts[ModelPart.Embeddings].Item1
            - (config.NRoutedExperts == 0
                ? 0
                : routed / config.NRoutedExperts * (config.NRoutedExperts - config.NumExpertsPerTok));
        return new CheckpointSummary(parts, bytesByDType, active);
    }

    /// <summary>The part a tensor name belongs to.</summary>
    public static ModelPart Classify(string name)
    {
        if (name.StartsWith("model.embed_tokens.", StringComparison.Ordinal)) return ModelPart.Embeddings;
        if (name.StartsWith("lm_head.", StringComparison.Ordinal)) return ModelPart.LmHead;
        if (name.Contains(".mlp.experts.", StringComparison.Ordinal)) return ModelPart.RoutedExperts;
        if (name.Contains(".mlp.shared_experts.", StringComparison.Ordinal)) return ModelPart.SharedExperts;
        if (name.Contains(".mlp.gate.", StringComparison.Ordinal)) return ModelPart.Router;
        if (name.Contains("layernorm", StringComparison.Ordinal) || name == K2Names.FinalNorm) return ModelPart.Norms;
        if (name.Contains(".self_attn.", StringComparison.Ordinal)) return ModelPart.Attention;
        if (name.Contains(".mlp.", StringComparison.Ordinal)) return ModelPart.DenseMlp;
        return ModelPart.Other;
    }
}

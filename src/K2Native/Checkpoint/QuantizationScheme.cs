// quantization_config of config.json: which Linear layers are stored as INT4 (compressed-tensors
// pack-quantized, symmetric, grouped) and which stay BF16. Anything else (FP8 block weights of K2
// Instruct/Base, activation quantization, other bit widths) is refused with what exactly is unsupported.
using System.Text.Json;

namespace K2Native.Checkpoint;

/// <summary>How a checkpoint's Linear weights are stored.</summary>
public sealed class QuantizationScheme
{
    /// <summary>The longest <c>re:</c> pattern accepted; real ones are a few dozen characters.</summary>
    public const int MaxPatternLength = 1024;

    private readonly IReadOnlyList<ModulePattern> _targets;
    private readonly IReadOnlyList<ModulePattern> _ignore;

    private QuantizationScheme(int groupSize, IReadOnlyList<ModulePattern> targets, IReadOnlyList<ModulePattern> ignore)
    {
        GroupSize = groupSize;
        _targets = targets;
        _ignore = ignore;
    }

    /// <summary>No quantization_config: every weight is stored unquantized.</summary>
    public static QuantizationScheme None { get; } = new(0, [], []);

    /// <summary>True when some Linear layers are INT4 pack-quantized.</summary>
    public bool IsInt4 => GroupSize > 0;

    /// <summary>Input columns sharing one scale (K2: 32); 0 when unquantized.</summary>
    public int GroupSize { get; }

    /// <summary>Human-readable summary, e.g. "INT4 pack-quantized (compressed-tensors), symmetric, group 32".</summary>
    public string Description => IsInt4
        ? $"INT4 pack-quantized (compressed-tensors), symmetric, group {GroupSize}; {_ignore.Count} module pattern(s) kept unquantized"
        : "none (all weights unquantized)";

    /// <summary>True when the Linear module <paramref name="module"/> (name without ".weight") is stored as INT4.</summary>
    public bool IsQuantized(string module) =>
        IsInt4 && _targets.Any(t => t.Matches(module, isTarget: true)) && !_ignore.Any(i => i.Matches(module, isTarget: false));

    internal static QuantizationScheme Read(ConfigReader r, List<string> unsupported)
    {
        var q = r.Child("quantization_config", required: false);
        if (q is null) return None;
        string? method = q.String("quant_method", required: true);
        switch (method)
        {
            case null: return None;
            case "compressed-tensors": break;
            case "fp8":
                unsupported.Add(
                    "quantization_config.quant_method 'fp8': FP8 e4m3 weights with 128x128 block scales (weight_scale_inv), as shipped by " +
                    "Kimi K2 Instruct/Base, are not supported; K2Native runs BF16 weights and INT4 compressed-tensors pack-quantized experts (K2 Thinking)");
                return None;
            default:
                unsupported.Add($"quantization_config.quant_method '{method}' (supported: compressed-tensors pack-quantized INT4)");
                return None;
        }

        string? format = q.String("format", required: false);
        string? status = q.String("quantization_status", required: false);
        if (status is not null && status != "compressed")
            unsupported.Add($"quantization_config.quantization_status '{status}' (only 'compressed' checkpoints hold packed weights)");
        if (q.TryGet("kv_cache_scheme", out _))
            unsupported.Add("quantization_config.kv_cache_scheme (a quantized KV cache)");
        if (q.TryGet("sparsity_config", out var sparsity) && sparsity.ValueKind == JsonValueKind.Object && sparsity.EnumerateObject().Any())
            unsupported.Add("quantization_config.sparsity_config (sparse weights)");

        var groups = q.Child("config_groups", required: true);
        if (groups is null) return None;
        var groupNames = groups.Object.EnumerateObject().Select(p => p.Name).ToList();
        if (groupNames.Count != 1)
        {
            unsupported.Add($"quantization_config.config_groups has {groupNames.Count} groups (supported: exactly one)");
            return None;
        }
        var group = groups.Child(groupNames[0], required: true);
        if (group is null) return None;
        format = group.String("format", required: false) ?? format;
        if (format != "pack-quantized")
            unsupported.Add($"quantization_config format '{format ?? "(missing)"}' (supported: pack-quantized)");
        if (group.TryGet("input_activations", out _))
            unsupported.Add($"{group.PathOf("input_activations")} (activation quantization)");
        if (group.TryGet("output_activations", out _))
            unsupported.Add($"{group.PathOf("output_activations")} (output quantization)");

        var targets = ReadPatterns(group, "targets", required: true);
        var ignore = ReadPatterns(q, "ignore", required: false);
        var weights = group.Child("weights", required: true);
        if (weights is null) return None;
        int bits = weights.Int("num_bits", 1, 64, 4);
        string? type = weights.String("type", required: true);
        bool symmetric = weights.Bool("symmetric");
        string? strategy = weights.String("strategy", required: true);
        int groupSize = weights.Int("group_size", 1, 1 << 20, 32);
        bool dynamic = weights.Bool("dynamic", fallback: false);
        if (bits != 4) unsupported.Add($"{weights.PathOf("num_bits")} {bits} (supported: 4)");
        if (type is not null && type != "int") unsupported.Add($"{weights.PathOf("type")} '{type}' (supported: int)");
        if (!symmetric) unsupported.Add($"{weights.PathOf("symmetric")} false (asymmetric INT4 with zero points)");
        if (strategy is not null && strategy != "group") unsupported.Add($"{weights.PathOf("strategy")} '{strategy}' (supported: group)");
        if (dynamic) unsupported.Add($"{weights.PathOf("dynamic")} true");
        if (weights.TryGet("actorder", out var actorder) && actorder.ValueKind != JsonValueKind.False)
            unsupported.Add($"{weights.PathOf("actorder")} {ConfigReader.Show(actorder)} (activation-ordered groups need g_idx)");
        if (weights.TryGet("block_structure", out _))
            unsupported.Add($"{weights.PathOf("block_structure")} (block quantization)");
        if (groupSize % 8 != 0)
            weights.Problem("group_size", $"{groupSize} is not a multiple of 8 (eight INT4 values share one packed int32)");
        return new QuantizationScheme(groupSize, targets, ignore);
    }

    private static List<ModulePattern> ReadPatterns(ConfigReader r, string field, bool required)
    {
        var list = new List<ModulePattern>();
        if (!r.TryGet(field, out var value))
        {
            if (required) r.Problem(field, "missing");
            return list;
        }
        if (value.ValueKind != JsonValueKind.Array)
        {
            r.Problem(field, $"expected a list of names, found {ConfigReader.Show(value)}");
            return list;
        }
        int i = 0;
        foreach (var item in value.EnumerateArray())
        {
            string itemField = $"{field}[{i++}]";
            if (item.ValueKind != JsonValueKind.String)
            {
                r.Problem(itemField, $"entry {ConfigReader.Show(item)} is not a string");
                continue;
            }
            var pattern = ModulePattern.Create(item.GetString()!, out string? problem);
            if (pattern is null) r.Problem(itemField, problem!);
            else list.Add(pattern);
        }
        return list;
    }
}

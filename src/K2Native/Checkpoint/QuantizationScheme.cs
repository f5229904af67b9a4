// quantization_config of config.json: which Linear layers are stored as INT4 (compressed-tensors
// pack-quantized, symmetric, grouped; K2 Thinking) or as FP8 e4m3 with 128x128 block scales (DeepSeek-V3's
// format; K2 Instruct and Base), and which stay BF16. Anything else (activation quantization, other bit
// widths, other block sizes) is refused with what exactly is unsupported.
using System.Text.Json;

namespace K2Native.Checkpoint;

/// <summary>How a checkpoint's Linear weights are stored.</summary>
public sealed class QuantizationScheme
{
    /// <summary>The longest <c>re:</c> pattern accepted; real ones are a few dozen characters.</summary>
    public const int MaxPatternLength = 1024;

    /// <summary>The only FP8 block shape the kernels support (rows, columns per weight_scale_inv entry).</summary>
    public const int Fp8Block = 128;

    private readonly IReadOnlyList<ModulePattern> _targets;
    private readonly IReadOnlyList<ModulePattern> _ignore;

    private QuantizationScheme(
        int groupSize, IReadOnlyList<ModulePattern> targets, IReadOnlyList<ModulePattern> ignore, bool fp8 = false)
    {
        GroupSize = groupSize;
        _targets = targets;
        _ignore = ignore;
        IsFp8 = fp8;
    }

    /// <summary>No quantization_config: every weight is stored unquantized.</summary>
    public static QuantizationScheme None { get; } = new(0, [], []);

    /// <summary>DeepSeek-V3 FP8: Linear weights whose tensor is F8_E4M3 carry 128x128 float32 block scales.</summary>
    public static QuantizationScheme Fp8 { get; } = new(0, [], [], fp8: true);

    /// <summary>True when some Linear layers are INT4 pack-quantized.</summary>
    public bool IsInt4 => GroupSize > 0;

    /// <summary>
    /// True for the FP8 block format: a Linear weight stored as F8_E4M3 has a <c>weight_scale_inv</c> of shape
    /// [ceil(rows/128), ceil(cols/128)]; which modules are FP8 is read from the tensors' dtypes (lm_head, embeddings
    /// and the router stay BF16 in K2 Instruct/Base).
    /// </summary>
    public bool IsFp8 { get; }

    /// <summary>Input columns sharing one scale (K2: 32); 0 when unquantized.</summary>
    public int GroupSize { get; }

    /// <summary>Human-readable summary, e.g. "INT4 pack-quantized (compressed-tensors), symmetric, group 32".</summary>
    public string Description => IsInt4
        ? $"INT4 pack-quantized (compressed-tensors), symmetric, group {GroupSize}; {_ignore.Count} module pattern(s) "
            + "kept unquantized"
        : IsFp8
            ? $"FP8 e4m3 weights with {Fp8Block}x{Fp8Block} float32 block scales (weight_scale_inv), dynamic "
                + "activations (computed in float32)"
            : "none (all weights unquantized)";

    /// <summary>True when the Linear module <paramref name="module"/> (name without ".weight") is stored as
    /// INT4.</summary>
    public bool IsQuantized(string module) =>
        IsInt4 && _targets.Any(t => t.Matches(module, isTarget: true))
            && !_ignore.Any(i => i.Matches(module, isTarget: false));

    internal static QuantizationScheme Read(ConfigReader r, List<string> unsupported)
    {
        var q = r.Child("quantization_config", required: false);
        if (q is null) return None;
        string? method = q.String("quant_method", required: true);
        switch (method)
        {
            case null: return None;
            case "compressed-tensors": break;
            case "fp8": return ReadFp8(q, unsupported);
            default:
                unsupported.Add(
                    $"quantization_config.quant_method '{method}' (supported: compressed-tensors pack-quantized INT4, "
                    + "fp8)");
                return None;
        }

        string? format = q.String("format", required: false);
        string? status = q.String("quantization_status", required: false);
        if (status is not null && status != "compressed")
            unsupported.Add(
                $"quantization_config.quantization_status '{status}' (only 'compressed' checkpoints hold packed "
                + "weights)");
        if (q.TryGet("kv_cache_scheme", out _))
            unsupported.Add("quantization_config.kv_cache_scheme (a quantized KV cache)");
        if (q.TryGet("sparsity_config", out var sparsity) && sparsity.ValueKind == JsonValueKind.Object
            && sparsity.EnumerateObject().Any())
            unsupported.Add("quantization_config.sparsity_config (sparse weights)");

        var groups = q.Child("config_groups", required: true);
        if (groups is null) return None;
        var groupNames = groups.Object.EnumerateObject().Select(p => p.Name).ToList();
        if (groupNames.Count != 1)
        {
            unsupported.Add(
                $"quantization_config.config_groups has {groupNames.Count} groups (supported: exactly one)");
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
        if (strategy is not null && strategy != "group")
            unsupported.Add($"{weights.PathOf("strategy")} '{strategy}' (supported: group)");
        if (dynamic) unsupported.Add($"{weights.PathOf("dynamic")} true");
        if (weights.TryGet("actorder", out var actorder) && actorder.ValueKind != JsonValueKind.False)
            unsupported.Add(
                $"{weights.PathOf("actorder")} {ConfigReader.Show(actorder)} (activation-ordered groups need g_idx)");
        if (weights.TryGet("block_structure", out _))
            unsupported.Add($"{weights.PathOf("block_structure")} (block quantization)");
        if (groupSize % 8 != 0)
            weights.Problem(
                "group_size", $"{groupSize} is not a multiple of 8 (eight INT4 values share one packed int32)");
        return new QuantizationScheme(groupSize, targets, ignore);
    }

    /// <summary>DeepSeek-V3's block FP8: fmt e4m3, dynamic activation scheme, weight_block_size [128, 128].</summary>
    private static QuantizationScheme ReadFp8(ConfigReader q, List<string> unsupported)
    {
        string? fmt = q.String("fmt", required: false);
        if (fmt is not null && fmt != "e4m3")
            unsupported.Add($"{q.PathOf("fmt")} '{fmt}' (supported: e4m3)");
        string? activations = q.String("activation_scheme", required: false);
        if (activations is not null && activations != "dynamic")
            unsupported.Add(
                $"{q.PathOf("activation_scheme")} '{activations}' (supported: dynamic; static activation scales are "
                + "not read)");
        if (!q.TryGet("weight_block_size", out var block))
        {
            q.Problem("weight_block_size", "missing (FP8 checkpoints give their block shape, [128, 128] for K2)");
            return None;
        }
        var sizes = block.ValueKind == JsonValueKind.Array
            ? block.EnumerateArray().Select(
                e => e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out long v) ? v : -1).ToList()
            : [];
        if (sizes.Count != 2 || sizes.Any(v => v <= 0))
        {
            q.Problem(
                "weight_block_size", $"expected two positive integers [rows, cols], found {ConfigReader.Show(block)}");
            return None;
        }
        if (sizes[0] != Fp8Block || sizes[1] != Fp8Block)
        {
            unsupported.Add(
                $"{q.PathOf("weight_block_size")} [{sizes[0]}, {sizes[1]}] (supported: [{Fp8Block}, {Fp8Block}])");
            return None;
        }
        return Fp8;
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

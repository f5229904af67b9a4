// `k2 info`: what a checkpoint is — architecture, parameters, bytes by dtype and by part, quantization, context —
// and what running it costs: bytes one decoded token reads, by part; KV cache bytes per token; memory at a context.
using System.Globalization;
using CommandLine;
using CommandLine.Text;
using K2Native.Backends;
using K2Native.Checkpoint;
using K2Native.Model;

namespace K2Bench.Verbs;

[Verb("info", HelpText = "Describe a checkpoint: architecture, parameter count, bytes by dtype and by part, "
    + "quantization, context length.")]
internal sealed class InfoCommand : ICommand
{
    [Option("model", HelpText = "Checkpoint directory (default: the bundled checkpoint).")]
    public string? Model { get; set; }

    [Option("context", HelpText = "Context length for the memory and per-token figures (default: the model's "
        + "max_position_embeddings).")]
    public int? Context { get; set; }

    [Option("kv-dtype", Default = "f32", HelpText = "KV cache element type for those figures: f32 or bf16.")]
    public string KvDType { get; set; } = "f32";

    [Usage(ApplicationAlias = "k2")]
    public static IEnumerable<Example> Examples =>
    [
        new("Describe the bundled checkpoint", CommandLineText.ExampleStyle, new InfoCommand()),
        new(
            "Memory and bytes per token of a checkpoint at 32K context with a bf16 KV cache",
            CommandLineText.ExampleStyle,
            new InfoCommand { Model = "models/my-k2", Context = 32768, KvDType = "bf16" }),
    ];

    public int Run()
    {
        using var checkpoint = K2Checkpoint.Open(ModelPaths.Resolve(Model));
        var c = checkpoint.Config;
        var summary = CheckpointSummary.Of(checkpoint);
        var o = Console.Out;
        o.WriteLine($"checkpoint      {checkpoint.Directory}");
        o.WriteLine(
            $"files           {checkpoint.Tensors.Files.Count} safetensors, {checkpoint.Tensors.Count} tensors");
        o.WriteLine($"model type      {c.ModelType} (DeepSeek-V3 architecture)");
        o.WriteLine(
            $"layers          {c.NumHiddenLayers} "
            + $"({Enumerable.Range(0, c.NumHiddenLayers).Count(l => !c.IsMoeLayer(l))} dense, "
            + $"{Enumerable.Range(0, c.NumHiddenLayers).Count(c.IsMoeLayer)} MoE)");
        o.WriteLine($"hidden          {c.HiddenSize}, vocab {c.VocabSize}, dense MLP {c.IntermediateSize}");
        o.WriteLine(
            $"attention       MLA, {c.NumAttentionHeads} heads, q_lora "
            + $"{(c.QLoraRank?.ToString(CultureInfo.InvariantCulture) ?? "none")}, kv_lora {c.KvLoraRank}, nope "
            + $"{c.QkNopeHeadDim} + rope {c.QkRopeHeadDim}, v {c.VHeadDim}");
        o.WriteLine(
            $"experts         {c.NRoutedExperts} routed of width {c.MoeIntermediateSize}, {c.NumExpertsPerTok} per "
            + $"token, {c.NSharedExperts} shared; {c.ScoringFunc}/{c.TopkMethod}, groups {c.NGroup} (top "
            + $"{c.TopkGroup}), scaling {c.RoutedScalingFactor.ToString(CultureInfo.InvariantCulture)}");
        o.WriteLine($"context         {c.MaxPositionEmbeddings} positions; rope theta "
            + $"{c.RopeTheta.ToString(CultureInfo.InvariantCulture)}" +
                    (c.RopeScaling is { } s ? $", YaRN x{s.Factor.ToString(CultureInfo.InvariantCulture)} over "
                        + $"{s.OriginalMaxPositionEmbeddings}" : ", no scaling"));
        o.WriteLine($"quantization    {c.Quantization.Description}");
        o.WriteLine(
            $"parameters      {Count(summary.TotalParameters)} total (every weight of every tensor; INT4 weights "
            + "counted one each, their scales not counted)");
        o.WriteLine(
            $"                {Count(summary.ActiveParameters)} active per token (all but the embeddings and the "
            + $"{c.NRoutedExperts - c.NumExpertsPerTok} of {c.NRoutedExperts} routed experts a token does not pick)");
        o.WriteLine($"bytes           {Bytes(summary.TotalBytes)}");
        WriteCosts(o, c, summary);
        o.WriteLine();
        o.WriteLine("by dtype");
        foreach (var (dtype, bytes) in summary.BytesByDType.OrderByDescending(kv => kv.Value))
            o.WriteLine($"  {dtype,-10} {Bytes(bytes),12}");
        o.WriteLine("by part");
        foreach (var (part, (parameters, bytes)) in summary.Parts
            .Where(kv => kv.Value.Bytes > 0)
            .OrderByDescending(kv => kv.Value.Bytes))
            o.WriteLine($"  {part,-14} {Count(parameters),10} params {Bytes(bytes),12}");
        foreach (var warning in checkpoint.Warnings) Console.Error.WriteLine($"warning: {warning}");
        return 0;
    }

    /// <summary>Bytes one decoded token reads by part, KV cache bytes per token, memory at the context.</summary>
    private void WriteCosts(TextWriter o, K2Config c, CheckpointSummary summary)
    {
        var (dtype, elementBytes) = KvDType.ToLowerInvariant() switch
        {
            "f32" or "float32" => (KvCacheDType.F32, 4),
            "bf16" or "bfloat16" => (KvCacheDType.Bf16, 2),
            _ => throw new UsageException($"--kv-dtype '{KvDType}' is not one of: f32, bf16"),
        };
        int context = Context ?? c.MaxPositionEmbeddings;
        if (context < 1 || context > c.MaxPositionEmbeddings)
            throw new UsageException(
                $"--context {context} must be between 1 and the model's maximum of {c.MaxPositionEmbeddings}");
        long kvPerToken = K2Model.CacheLayout(c, 1, 1, dtype).BytesPerToken;
        long kvAtContext = kvPerToken * context;
        var read = summary.Parts
            .Where(kv => kv.Value.Bytes > 0)
            .ToDictionary(kv => kv.Key.ToString(), kv => kv.Key switch
        {
            ModelPart.Embeddings => kv.Value.Bytes / Math.Max(1, c.VocabSize),
            ModelPart.RoutedExperts => c.NRoutedExperts == 0
                ? 0
                : kv.Value.Bytes / c.NRoutedExperts * c.NumExpertsPerTok,
            _ => kv.Value.Bytes,
        });
        read[$"KV cache at {context}"] = kvAtContext;
        o.WriteLine(
            $"KV cache        {Bytes(kvPerToken)} per token ({c.NumHiddenLayers} layers x ({c.KvLoraRank} latent + "
            + $"{c.QkRopeHeadDim} rope) x {elementBytes} bytes, {KvDType})");
        o.WriteLine(
            $"memory          {Bytes(summary.TotalBytes + kvAtContext)} at a context of {context}: "
            + $"{Bytes(summary.TotalBytes)} weights + {Bytes(kvAtContext)} KV cache (k2 chat's --kv-cache-mb "
            + $"{(kvAtContext + (1L << 20) - 1) >> 20}); work buffers not counted");
        o.WriteLine();
        o.WriteLine(
            $"read per decoded token, at a context of {context} ({Bytes(read.Values.Sum())} in all; the "
            + $"{c.NumExpertsPerTok} routed experts taken as distinct in every layer, one embedding row)");
        foreach (var (part, bytes) in read.OrderByDescending(kv => kv.Value))
            o.WriteLine($"  {part,-20} {Bytes(bytes),12}");
    }

    private static string Count(long n) => n switch
    {
        >= 1_000_000_000_000 => $"{n / 1e12:F2}T",
        >= 1_000_000_000 => $"{n / 1e9:F2}B",
        >= 1_000_000 => $"{n / 1e6:F2}M",
        >= 1_000 => $"{n / 1e3:F1}K",
        _ => n.ToString(CultureInfo.InvariantCulture),
    };

    private static string Bytes(long n) => n switch
    {
        >= 1L << 30 => $"{n / (double)(1L << 30):F2} GiB",
        >= 1L << 20 => $"{n / (double)(1L << 20):F2} MiB",
        >= 1L << 10 => $"{n / 1024.0:F1} KiB",
        _ => $"{n} B",
    };
}

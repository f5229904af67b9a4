// `k2 info`: what a checkpoint is — architecture, parameters, bytes by dtype and by part, quantization, context.
using System.Globalization;
using CommandLine;
using K2Native.Checkpoint;

namespace K2Bench.Commands;

[Verb("info", HelpText = "Describe a checkpoint: architecture, parameter count, bytes by dtype and by part, quantization, context length.")]
internal sealed class InfoCommand : ICommand
{
    [Option("model", HelpText = "Checkpoint directory (default: the bundled checkpoint).")]
    public string? Model { get; set; }

    public int Run()
    {
        using var checkpoint = K2Checkpoint.Open(ModelPaths.Resolve(Model));
        var c = checkpoint.Config;
        var summary = CheckpointSummary.Of(checkpoint);
        var o = Console.Out;
        o.WriteLine($"checkpoint      {checkpoint.Directory}");
        o.WriteLine($"files           {checkpoint.Tensors.Files.Count} safetensors, {checkpoint.Tensors.Count} tensors");
        o.WriteLine($"model type      {c.ModelType} (DeepSeek-V3 architecture)");
        o.WriteLine($"layers          {c.NumHiddenLayers} ({Enumerable.Range(0, c.NumHiddenLayers).Count(l => !c.IsMoeLayer(l))} dense, {Enumerable.Range(0, c.NumHiddenLayers).Count(c.IsMoeLayer)} MoE)");
        o.WriteLine($"hidden          {c.HiddenSize}, vocab {c.VocabSize}, dense MLP {c.IntermediateSize}");
        o.WriteLine($"attention       MLA, {c.NumAttentionHeads} heads, q_lora {(c.QLoraRank?.ToString(CultureInfo.InvariantCulture) ?? "none")}, kv_lora {c.KvLoraRank}, nope {c.QkNopeHeadDim} + rope {c.QkRopeHeadDim}, v {c.VHeadDim}");
        o.WriteLine($"experts         {c.NRoutedExperts} routed of width {c.MoeIntermediateSize}, {c.NumExpertsPerTok} per token, {c.NSharedExperts} shared; {c.ScoringFunc}/{c.TopkMethod}, groups {c.NGroup} (top {c.TopkGroup}), scaling {c.RoutedScalingFactor.ToString(CultureInfo.InvariantCulture)}");
        o.WriteLine($"context         {c.MaxPositionEmbeddings} positions; rope theta {c.RopeTheta.ToString(CultureInfo.InvariantCulture)}" +
                    (c.RopeScaling is { } s ? $", YaRN x{s.Factor.ToString(CultureInfo.InvariantCulture)} over {s.OriginalMaxPositionEmbeddings}" : ", no scaling"));
        o.WriteLine($"quantization    {c.Quantization.Description}");
        o.WriteLine($"parameters      {Count(summary.TotalParameters)} total, {Count(summary.ActiveParameters)} active per token (excluding embeddings)");
        o.WriteLine($"bytes           {Bytes(summary.TotalBytes)}");
        o.WriteLine();
        o.WriteLine("by dtype");
        foreach (var (dtype, bytes) in summary.BytesByDType.OrderByDescending(kv => kv.Value))
            o.WriteLine($"  {dtype,-10} {Bytes(bytes),12}");
        o.WriteLine("by part");
        foreach (var (part, (parameters, bytes)) in summary.Parts.Where(kv => kv.Value.Bytes > 0).OrderByDescending(kv => kv.Value.Bytes))
            o.WriteLine($"  {part,-14} {Count(parameters),10} params {Bytes(bytes),12}");
        foreach (var warning in checkpoint.Warnings) Console.Error.WriteLine($"warning: {warning}");
        return 0;
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

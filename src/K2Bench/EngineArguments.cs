// Options shared by the commands that generate (`k2 generate`, `k2 chat`, `k2 bench model`): the checkpoint,
// the backend, the KV cache, and sampling. Each command's options class derives from it.
using CommandLine;
using K2Native.Backends;
using K2Native.Runtime;
using K2Native.Text;

namespace K2Bench;

internal abstract class EngineArguments
{
    [Option("model", HelpText = "Checkpoint directory (default: the bundled checkpoint).")]
    public string? Model { get; set; }

    [Option("backend", Default = "cpu", HelpText = "Compute backend: cpu, or cuda (needs libk2native and an NVIDIA "
        + "GPU).")]
    public string Backend { get; set; } = "cpu";

    [Option("int4-activations", Default = K2Native.Backends.Cpu.CpuBackend.DefaultInt4Activations,
        HelpText = "CPU backend: activations of INT4 products: Int16 (default), Int8 or Float32 (exact, as the CUDA "
            + "backend computes).")]
    public K2Native.Backends.Cpu.Int4Activations Int4Activations { get; set; } =
        K2Native.Backends.Cpu.CpuBackend.DefaultInt4Activations;

    [Option("graphs", HelpText = "CUDA backend: replay each step shape from a CUDA graph after its first two steps "
        + "(bit-identical results).")]
    public bool Graphs { get; set; }

    [Option("kv-cache-mb", Default = 256, HelpText = "Memory for the paged KV cache, in MiB.")]
    public int KvCacheMb { get; set; }

    [Option("block-size", Default = 16, HelpText = "Tokens per KV cache block.")]
    public int BlockSize { get; set; }

    [Option("kv-dtype", Default = "f32", HelpText = "KV cache element type: f32 or bf16.")]
    public string KvDType { get; set; } = "f32";

    [Option("context", HelpText = "Longest sequence in tokens (default: the model's max_position_embeddings).")]
    public int? Context { get; set; }

    [Option("no-prefix-cache", HelpText = "Do not reuse cached blocks of equal prefixes.")]
    public bool NoPrefixCache { get; set; }

    [Option("stop-latency-ms", Default = 100, HelpText = "Cut prompt chunks so one layer of a step takes about this "
        + "long, so Ctrl+C or a cancel stops within it (0: no cut).")]
    public int StopLatencyMs { get; set; }

    [Option("format", HelpText = "Chat format: thinking or instruct (default: what the checkpoint declares).")]
    public ChatFormat? Format { get; set; }

    public EngineOptions EngineOptions() => new()
    {
        KvCacheBytes = (long)KvCacheMb << 20,
        BlockSize = BlockSize,
        KvCacheDType = KvDType.ToLowerInvariant() switch
        {
            "f32" or "float32" => KvCacheDType.F32,
            "bf16" or "bfloat16" => KvCacheDType.Bf16,
            _ => throw new UsageException($"--kv-dtype '{KvDType}' is not one of: f32, bf16"),
        },
        ContextLength = Context,
        PrefixCaching = !NoPrefixCache,
        StopLatency = StopLatencyMs switch
        {
            0 => null,
            > 0 => TimeSpan.FromMilliseconds(StopLatencyMs),
            _ => throw new UsageException($"--stop-latency-ms {StopLatencyMs} must be positive, or 0 for no cut"),
        },
    };

    /// <summary>Opens the checkpoint for generation; <paramref name="progress"/> sees (layers loaded,
    /// layers).</summary>
    public ModelHost Open(Action<int, int>? progress = null) => OpenWith(EngineOptions(), progress);

    /// <summary>Opens the checkpoint with <paramref name="options"/> in place of the command line's engine
    /// options.</summary>
    public ModelHost OpenWith(EngineOptions options, Action<int, int>? progress = null) =>
        ModelHost.Open(
            ModelPaths.Resolve(Model), BackendFactory.Create(Backend, Int4Activations, Graphs), options, progress,
            Format);
}

/// <summary>Engine options plus sampling: each sampling option left out falls back to
/// GenerationPreset.K2Thinking.</summary>
internal abstract class SamplingArguments : EngineArguments
{
    [Option("temperature", HelpText = "Sampling temperature; 0 is greedy (default: K2 Thinking's 1.0).")]
    public float? Temperature { get; set; }

    [Option("top-p", HelpText = "Nucleus sampling: keep the most likely tokens up to this probability (default: 1 = "
        + "off).")]
    public float? TopP { get; set; }

    [Option("top-k", HelpText = "Keep only the k most likely tokens (default: 0 = off).")]
    public int? TopK { get; set; }

    [Option("min-p", HelpText = "Drop tokens less likely than min-p times the most likely one (default: K2 Thinking's "
        + "0.01).")]
    public float? MinP { get; set; }

    [Option("seed", HelpText = "Seed for reproducible sampling.")]
    public ulong? Seed { get; set; }

    [Option("max-tokens", HelpText = "Most tokens to generate (default: 512).")]
    public int? MaxTokens { get; set; }

    [Option("stop", Separator = ',', HelpText = "Stop strings, comma-separated.")]
    public IEnumerable<string> Stop { get; set; } = [];

    /// <summary>K2 Thinking's preset with the options given; throws ArgumentException naming a value out of
    /// range.</summary>
    public GenerationPreset Preset() =>
        GenerationPreset.K2Thinking.With(Temperature, TopP, TopK, MinP, Seed, MaxTokens);

    public SamplingParams Sampling() => Preset().Sampling;
}

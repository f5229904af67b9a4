// `k2 synth`: writes a random-weight checkpoint in Kimi K2 Thinking's exact on-disk format (INT4 experts), or with
// --quant fp8 in K2 Instruct/Base's (FP8 block-quantized Linear weights). Says how much it will write before
// writing, and does not write into a folder that holds anything unless --force.
using CommandLine;
using CommandLine.Text;
using K2Native.Applications.Synth;

namespace K2Bench.Verbs;

[Verb("synth", HelpText = "Write a random-weight checkpoint in K2 Thinking's format (config, sharded safetensors with "
    + "index, INT4 experts, tokenizer), or with --quant fp8 in K2 Instruct/Base's (FP8 e4m3 weights, 128x128 block "
    + "scales).")]
internal sealed class SynthCommand : ICommand
{
    [Option("preset", Required = true, HelpText = "tiny (a few MB) or k2-slice (K2 Thinking's real dimensions).")]
    public string Preset { get; set; } = "";

    [Option("layers", HelpText = "Number of layers (the first is dense when there are two or more).")]
    public int? Layers { get; set; }

    [Option("experts", HelpText = "Number of routed experts (shrink k2-slice to fit memory).")]
    public int? Experts { get; set; }

    [Option("context", HelpText = "max_position_embeddings (YaRN factor = context / the preset's original positions).")]
    public int? Context { get; set; }

    [Option("quant", Default = "int4", HelpText = "int4 (K2 Thinking: INT4 routed experts, BF16 elsewhere) or fp8 (K2 "
        + "Instruct/Base: every attention and MLP weight FP8 e4m3 with 128x128 block scales).")]
    public string Quant { get; set; } = "int4";

    [Option("seed", Default = 0UL, HelpText = "Random seed; the same seed writes the same bytes.")]
    public ulong Seed { get; set; }

    [Option("shard-mb", HelpText = "Largest shard in MiB (default: 1 for tiny, so it is sharded; 4096 for k2-slice).")]
    public long? ShardMb { get; set; }

    [Option("vocab", HelpText = "vocab_size: byte-level BPE ranks plus K2's 256 special ids, at least 512 (k2-slice: "
        + "163840, K2's; smaller makes a small k2-slice).")]
    public int? Vocab { get; set; }

    [Option("out", Required = true, HelpText = "Output directory (empty or new, unless --force).")]
    public string Out { get; set; } = "";

    [Option("force", HelpText = "Write into an output directory that already holds files (its safetensors shards are "
        + "replaced).")]
    public bool Force { get; set; }

    [Usage(ApplicationAlias = "k2")]
    public static IEnumerable<Example> Examples =>
    [
        new(
            "A tiny checkpoint (a few MB) for tests", CommandLineText.ExampleStyle,
            new SynthCommand { Preset = "tiny", Out = "models/tiny" }),
        new(
            "K2 Thinking's real layer dimensions, 2 layers, 16 experts, a small vocabulary",
            CommandLineText.ExampleStyle,
            new SynthCommand { Preset = "k2-slice", Layers = 2, Experts = 16, Vocab = 4096, Out = "models/slice" }),
    ];

    public int Run()
    {
        var arch = SynthPreset.Get(Preset, Layers, Experts, Context) with
        {
            Quant = Quant switch
            {
                "int4" => SynthQuant.Int4,
                "fp8" => SynthQuant.Fp8,
                _ => throw new UsageException($"--quant '{Quant}' is not one of: int4, fp8"),
            },
        };
        if (Vocab is { } vocab)
        {
            if (vocab < 256 + SynthTokenizer.SpecialCount)
                throw new UsageException(
                    $"--vocab {vocab} is too small: 256 byte ranks plus {SynthTokenizer.SpecialCount} special ids need "
                    + $"at least {256 + SynthTokenizer.SpecialCount}");
            arch = arch with { VocabSize = vocab };
        }
        if (Directory.Exists(Out) && Directory.EnumerateFileSystemEntries(Out).Any() && !Force)
            throw new ArgumentException(
                $"--out {Out} is not empty; give an empty or new directory, or --force to write into it");
        if (File.Exists(Out)) throw new ArgumentException($"--out {Out} is a file; give a directory");
        long shard = (ShardMb ?? (Preset == "tiny" ? 1 : 4096)) * 1024 * 1024;
        Console.Error.WriteLine(
            $"writing {Preset} {Quant} ({arch.Layers} layers, {arch.Experts} experts, vocab {arch.VocabSize}): "
            + $"{SynthCheckpoint.TensorBytes(arch) / (1024.0 * 1024):F1} MiB of tensors to {Out}");
        var started = System.Diagnostics.Stopwatch.StartNew();
        long bytes = SynthCheckpoint.Write(arch, Out, Seed, shard, message => Console.Error.WriteLine(message));
        Console.Error.WriteLine(
            $"wrote {Preset} {Quant} checkpoint ({arch.Layers} layers, {arch.Experts} experts, "
            + $"{bytes / (1024.0 * 1024):F1} MiB of tensors) to {Out} in {started.Elapsed.TotalSeconds:F1} s");
        return 0;
    }
}

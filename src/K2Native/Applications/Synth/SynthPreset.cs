// Architectures of synthetic checkpoints: `tiny` (a few MB, for tests and the bundled default) and
// `k2-slice` (Kimi K2 Thinking's real dimensions for a few layers, for benchmarks).
namespace K2Native.Applications.Synth;

/// <summary>The numbers a synthetic config.json is written from.</summary>
internal sealed record SynthArchitecture
{
    public required int VocabSize { get; init; }
    public required int HiddenSize { get; init; }
    public required int Layers { get; init; }
    public required int IntermediateSize { get; init; }
    public required int MoeIntermediateSize { get; init; }
    public required int Experts { get; init; }
    public required int ExpertsPerToken { get; init; }
    public required int SharedExperts { get; init; }
    public required int Groups { get; init; }
    public required int TopkGroups { get; init; }
    public required int FirstDenseLayers { get; init; }
    public required int Heads { get; init; }
    public required int? QLoraRank { get; init; }
    public required int KvLoraRank { get; init; }
    public required int NopeDim { get; init; }
    public required int RopeDim { get; init; }
    public required int ValueDim { get; init; }
    public required double RopeTheta { get; init; }
    public required double YarnFactor { get; init; }
    public required int YarnOriginalMaxPositions { get; init; }
    public required int MaxPositions { get; init; }
    public required double RmsNormEps { get; init; }
    public required double RoutedScalingFactor { get; init; }
    public required int GroupSize { get; init; }

    /// <summary>How Linear weights are stored: INT4 routed experts (K2 Thinking) or FP8 everywhere (K2
    /// Instruct/Base).</summary>
    public SynthQuant Quant { get; init; } = SynthQuant.Int4;

    /// <summary>Special-token ids follow the BPE ranks: 256 of them, K2's layout.</summary>
    public int Ranks => VocabSize - SynthTokenizer.SpecialCount;
}

/// <summary>Weight formats `k2 synth --quant` writes.</summary>
internal enum SynthQuant
{
    /// <summary>K2 Thinking: routed experts INT4 pack-quantized (compressed-tensors, group 32), other Linear layers
    /// BF16.</summary>
    Int4,

    /// <summary>K2 Instruct/Base: every attention and MLP Linear layer F8_E4M3 with 128x128 float32 block
    /// scales.</summary>
    Fp8,
}

/// <summary>Named presets.</summary>
internal static class SynthPreset
{
    public static readonly string[] Names = ["tiny", "k2-slice"];

    /// <summary>The preset's architecture, with optional layer and expert counts overriding its own.</summary>
    /// <param name="context">max_position_embeddings; the YaRN factor becomes context / original positions.</param>
    public static SynthArchitecture Get(string name, int? layers = null, int? experts = null, int? context = null)
    {
        var a = name switch
        {
            "tiny" => new SynthArchitecture
            {
                VocabSize = 1024, HiddenSize = 128, Layers = 3, IntermediateSize = 256, MoeIntermediateSize = 64,
                Experts = 16, ExpertsPerToken = 4, SharedExperts = 1, Groups = 1, TopkGroups = 1, FirstDenseLayers = 1,
                Heads = 4, QLoraRank = 64, KvLoraRank = 32, NopeDim = 32, RopeDim = 16, ValueDim = 32,
                RopeTheta = 50000, YarnFactor = 8, YarnOriginalMaxPositions = 512, MaxPositions = 4096,
                RmsNormEps = 1e-5, RoutedScalingFactor = 2.827, GroupSize = 32,
            },
            "k2-slice" => new SynthArchitecture
            {
                VocabSize = 163840, HiddenSize = 7168, Layers = 2, IntermediateSize = 18432, MoeIntermediateSize = 2048,
                Experts = 384, ExpertsPerToken = 8, SharedExperts = 1, Groups = 1, TopkGroups = 1, FirstDenseLayers = 1,
                Heads = 64, QLoraRank = 1536, KvLoraRank = 512, NopeDim = 128, RopeDim = 64, ValueDim = 128,
                RopeTheta = 50000, YarnFactor = 64, YarnOriginalMaxPositions = 4096, MaxPositions = 262144,
                RmsNormEps = 1e-5, RoutedScalingFactor = 2.827, GroupSize = 32,
            },
            _ => throw new ArgumentException($"unknown preset '{name}' (known: {string.Join(", ", Names)})"),
        };
        if (layers is int l)
        {
            if (l < 1) throw new ArgumentException($"--layers {l}: need at least 1 layer");
            a = a with { Layers = l, FirstDenseLayers = Math.Min(a.FirstDenseLayers, l - 1) };
        }
        if (experts is int e)
        {
            if (e < 1) throw new ArgumentException($"--experts {e}: need at least 1 expert");
            a = a with { Experts = e, ExpertsPerToken = Math.Min(a.ExpertsPerToken, e) };
        }
        if (context is int c)
        {
            if (c < a.YarnOriginalMaxPositions)
                throw new ArgumentException(
                    $"--context {c}: the {name} preset's YaRN extends {a.YarnOriginalMaxPositions} original positions; "
                    + "give at least that many");
            a = a with { MaxPositions = c, YarnFactor = (double)c / a.YarnOriginalMaxPositions };
        }
        return a;
    }
}

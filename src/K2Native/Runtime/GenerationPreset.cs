// The generation defaults, in one place: K2 Thinking's recommended sampling (K2-SPEC section 5: temperature 1.0,
// min_p 0.01) and the default answer length. GenerationRequest, ChatSettings, the server's defaults and the k2
// console's options all start from K2Thinking; an option left unset falls back to it. Sampling values are checked by
// SamplingParams.Validate and the token limit by CheckMaxTokens, and nowhere else.
using System.Globalization;

namespace K2Native.Runtime;

/// <summary>Sampling settings plus the most tokens to generate: what a caller does not choose.</summary>
public sealed record GenerationPreset
{
    /// <summary>The answer length of <see cref="K2Thinking"/>.</summary>
    public const int DefaultMaxTokens = 512;

    public SamplingParams Sampling { get; init; } = SamplingParams.K2Thinking;

    /// <summary>Most tokens to generate (the stop token not counted).</summary>
    public int MaxTokens { get; init; } = DefaultMaxTokens;

    /// <summary>K2 Thinking's recommendation (temperature 1.0, min_p 0.01, top_p and top_k off) and 512
    /// tokens.</summary>
    public static GenerationPreset K2Thinking { get; } = new();

    /// <summary>This preset with the values given replacing its own; the result is validated.</summary>
    /// <exception cref="ArgumentException">A value is out of range; the message names it.</exception>
    public GenerationPreset With(
        float? temperature = null, float? topP = null, int? topK = null, float? minP = null, ulong? seed = null,
        int? maxTokens = null)
    {
        var s = Sampling;
        var preset = new GenerationPreset
        {
            Sampling = s with
            {
                Temperature = temperature ?? s.Temperature,
                TopP = topP ?? s.TopP,
                TopK = topK ?? s.TopK,
                MinP = minP ?? s.MinP,
                Seed = seed ?? s.Seed,
            },
            MaxTokens = maxTokens ?? MaxTokens,
        };
        preset.Validate();
        return preset;
    }

    /// <summary>Throws ArgumentException naming the first value out of range.</summary>
    public void Validate()
    {
        Sampling.Validate();
        CheckMaxTokens(MaxTokens);
    }

    /// <summary>Throws ArgumentException unless <paramref name="maxTokens"/> is at least 1.</summary>
    public static void CheckMaxTokens(int maxTokens)
    {
        if (maxTokens < 1)
            throw new ArgumentException(
                $"max_tokens {maxTokens.ToString(CultureInfo.InvariantCulture)} must be at least 1");
    }

    public override string ToString() => $"{Sampling}, max_tokens {MaxTokens.ToString(CultureInfo.InvariantCulture)}";
}

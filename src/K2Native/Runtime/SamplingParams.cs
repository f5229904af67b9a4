// How the next token is chosen: greedy (temperature 0) or sampled after temperature, top-k, top-p and min-p,
// with a seed that makes a run reproducible. The defaults are K2 Thinking's recommendation (K2-SPEC section 5);
// GenerationPreset pairs them with the default answer length. Validate is the one range check.
namespace K2Native.Runtime;

/// <summary>Sampling settings of a request.</summary>
public sealed record SamplingParams
{
    /// <summary>0 picks the most likely token (ties: the lowest id); otherwise logits are divided by it.</summary>
    public float Temperature { get; init; } = 1f;

    /// <summary>Keep only the k most likely tokens (ties with the k-th kept); 0 turns it off.</summary>
    public int TopK { get; init; }

    /// <summary>Keep the most likely tokens until their probability reaches p; 1 turns it off.</summary>
    public float TopP { get; init; } = 1f;

    /// <summary>Drop tokens less likely than min_p times the most likely one; 0 turns it off. K2 Thinking's 0.01
    /// unless set, like every default here (a new SamplingParams is <see cref="K2Thinking"/>).</summary>
    public float MinP { get; init; } = 0.01f;

    /// <summary>Seed of the sampling generator; null draws one at random.</summary>
    public ulong? Seed { get; init; }

    /// <summary>Greedy decoding.</summary>
    public static SamplingParams Greedy { get; } = new() { Temperature = 0 };

    /// <summary>K2 Thinking's recommendation: temperature 1.0, min_p 0.01.</summary>
    public static SamplingParams K2Thinking { get; } = new();

    public bool IsGreedy => Temperature == 0;

    /// <summary>Throws ArgumentException naming the first setting out of range.</summary>
    public void Validate()
    {
        if (!float.IsFinite(Temperature) || Temperature < 0)
            throw new ArgumentException($"temperature {Temperature} must be a finite number >= 0");
        if (TopK < 0) throw new ArgumentException($"top_k {TopK} must be >= 0 (0 turns it off)");
        if (!(TopP > 0 && TopP <= 1)) throw new ArgumentException($"top_p {TopP} must be in (0, 1]");
        if (!(MinP >= 0 && MinP <= 1)) throw new ArgumentException($"min_p {MinP} must be in [0, 1]");
    }

    public override string ToString() =>
        IsGreedy ? "greedy" : FormattableString.Invariant($"temperature {Temperature}, top_k {TopK}, top_p {TopP}, min_p {MinP}, seed {(Seed is { } s ? s.ToString(System.Globalization.CultureInfo.InvariantCulture) : "random")}");
}

// Settings of the generation engine: the KV cache budget and layout, and how much work one step may hold.
using K2Native.Backends;

namespace K2Native.Runtime;

/// <summary>Engine settings.</summary>
public sealed record EngineOptions
{
    /// <summary>Memory for the paged latent cache; the pool gets as many blocks as fit.</summary>
    public long KvCacheBytes { get; init; } = 256L << 20;

    /// <summary>Tokens per cache block (the unit of allocation and of prefix reuse).</summary>
    public int BlockSize { get; init; } = 16;

    public KvCacheDType KvCacheDType { get; init; } = KvCacheDType.F32;

    /// <summary>Most tokens one step computes (prompt chunks are cut to fit; decode tokens come first).</summary>
    public int MaxStepTokens { get; init; } = 256;

    /// <summary>How long a cancelled sequence may wait for the step in progress. The model abandons a step between
    /// layers, so prompt chunks are cut to the tokens that one layer computes in about this time (measured from the
    /// prompt chunks before); on a fast backend <see cref="MaxStepTokens"/> binds first. Null: no cut.</summary>
    public TimeSpan? StopLatency { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Most sequences that run at once; more requests wait.</summary>
    public int MaxSequences { get; init; } = 8;

    /// <summary>Longest sequence (prompt + generated); null means the model's max_position_embeddings.</summary>
    public int? ContextLength { get; init; }

    /// <summary>Reuse cached blocks of equal prefixes.</summary>
    public bool PrefixCaching { get; init; } = true;

    public void Validate()
    {
        if (KvCacheBytes < 1) throw new ArgumentException($"KV cache budget {KvCacheBytes} bytes must be positive");
        if (BlockSize < 1) throw new ArgumentException($"block size {BlockSize} must be at least 1");
        if (MaxStepTokens < 1) throw new ArgumentException($"max step tokens {MaxStepTokens} must be at least 1");
        if (MaxSequences < 1) throw new ArgumentException($"max sequences {MaxSequences} must be at least 1");
        if (StopLatency is { } latency && latency <= TimeSpan.Zero)
            throw new ArgumentException($"stop latency {latency} must be positive (or null for none)");
        if (ContextLength is < 2) throw new ArgumentException($"context length {ContextLength} must be at least 2");
    }
}

// The paged latent KV cache as a backend holds it: for every layer, Blocks blocks of BlockSize slots, each slot
// one token's MLA entry [c (LatentDim) | rotated k_pe (RopeDim)] (K2: 512 + 64). Slot s of the pool is
// block s / BlockSize, offset s % BlockSize. Which blocks belong to which sequence is the runtime's business
// (Runtime/KvBlockPool.cs); the backend only stores entries and reads them through block tables.
namespace K2Native.Backends;

/// <summary>Element type of cached entries.</summary>
public enum KvCacheDType
{
    /// <summary>float32: decode equals a full forward pass to float rounding.</summary>
    F32,

    /// <summary>bfloat16: half the memory, entries rounded once when written.</summary>
    Bf16,
}

/// <summary>Shape of a paged latent cache.</summary>
public sealed record KvCacheLayout(
    int Layers, int Blocks, int BlockSize, int LatentDim, int RopeDim, KvCacheDType DType)
{
    /// <summary>Values per cached token and layer.</summary>
    public int EntryWidth => LatentDim + RopeDim;

    /// <summary>Slots in the pool (all blocks).</summary>
    public long Slots => (long)Blocks * BlockSize;

    /// <summary>Bytes one token occupies over all layers.</summary>
    public long BytesPerToken => (long)Layers * EntryWidth * (DType == KvCacheDType.F32 ? 4 : 2);

    /// <summary>Bytes of the whole pool.</summary>
    public long TotalBytes => BytesPerToken * Slots;
}

/// <summary>A backend's paged latent cache.</summary>
public abstract class KvCacheStorage : IDisposable
{
    protected KvCacheStorage(KvCacheLayout layout)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(layout.Layers, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(layout.Blocks, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(layout.BlockSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(layout.LatentDim, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(layout.RopeDim);
        Layout = layout;
    }

    public KvCacheLayout Layout { get; }

    public abstract void Dispose();
}

/// <summary>
/// Which cache entries each token of a step attends to: token t belongs to sequence TokenSequence[t] and sees that
/// sequence's first KeyCounts[t] cached tokens, found through its row of BlockTables
/// (BlockTables[seq · BlockTableStride + i] = pool block holding the sequence's tokens i·BlockSize ..
/// (i+1)·BlockSize-1).
/// </summary>
public sealed class AttentionBatch
{
    public AttentionBatch(int[] tokenSequence, int[] keyCounts, int[] blockTables, int blockTableStride)
    {
        if (tokenSequence.Length != keyCounts.Length)
            throw new ArgumentException(
                $"AttentionBatch: {tokenSequence.Length} sequence indices but {keyCounts.Length} key counts");
        ArgumentOutOfRangeException.ThrowIfLessThan(blockTableStride, 1);
        TokenSequence = tokenSequence;
        KeyCounts = keyCounts;
        BlockTables = blockTables;
        BlockTableStride = blockTableStride;
    }

    /// <summary>Tokens in the step (may be fewer than the arrays' lengths when they are reused across steps).</summary>
    public int Tokens { get; set; }

    public int[] TokenSequence { get; }

    public int[] KeyCounts { get; }

    public int[] BlockTables { get; }

    public int BlockTableStride { get; }

    /// <summary>Checks every token's table against the cache: counts within the table, blocks inside the
    /// pool.</summary>
    public void Validate(KvCacheLayout layout)
    {
        int sequences = BlockTables.Length / BlockTableStride;
        if (Tokens > TokenSequence.Length)
            throw new ArgumentException($"AttentionBatch: {Tokens} tokens but room for {TokenSequence.Length}");
        for (int t = 0; t < Tokens; t++)
        {
            int seq = TokenSequence[t], keys = KeyCounts[t];
            if ((uint)seq >= (uint)sequences)
                throw new ArgumentException($"AttentionBatch: token {t} names sequence {seq} of {sequences}");
            int blocks = (keys + layout.BlockSize - 1) / layout.BlockSize;
            if (keys < 1 || blocks > BlockTableStride)
                throw new ArgumentException(
                    $"AttentionBatch: token {t} attends to {keys} keys; its table holds {BlockTableStride} blocks of "
                    + $"{layout.BlockSize}");
            for (int b = 0; b < blocks; b++)
            {
                int block = BlockTables[seq * BlockTableStride + b];
                if ((uint)block >= (uint)layout.Blocks)
                    throw new ArgumentException(
                        $"AttentionBatch: sequence {seq} block {b} is pool block {block}, "
                        + $"outside [0, {layout.Blocks})");
            }
        }
    }
}

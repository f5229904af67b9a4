// One model step's host-side index arrays, as the model hands them to Backend.RunStep: a backend that keeps indices
// in device memory uploads them once per step there, and one that records steps as graphs keys them by shape.
namespace K2Native.Backends;

/// <summary>The token ids, positions, cache slots, attention tables and logit rows of one step (first Count /
/// LogitCount entries).</summary>
public readonly struct StepInputs(
    int[] tokens, int[] positions, int[] slots, AttentionBatch attention, int[] logitRows, int count, int logitCount,
    KvCacheStorage cache)
{
    public int[] Tokens { get; } = tokens;

    public int[] Positions { get; } = positions;

    public int[] Slots { get; } = slots;

    public AttentionBatch Attention { get; } = attention;

    public int[] LogitRows { get; } = logitRows;

    public int Count { get; } = count;

    public int LogitCount { get; } = logitCount;

    public KvCacheStorage Cache { get; } = cache;

    /// <summary>Sequences the block tables hold.</summary>
    public int Sequences => Attention.BlockTables.Length / Attention.BlockTableStride;

    /// <summary>The largest key count of the step's tokens.</summary>
    public int MaxKeyCount()
    {
        int max = 0;
        for (int t = 0; t < Count; t++) max = Math.Max(max, Attention.KeyCounts[t]);
        return max;
    }
}

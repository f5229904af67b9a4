// One step of the paged model: the tokens to run (from one or several sequences, prompt chunks and decode
// tokens mixed), where each token's cache entry goes, what each token attends to, and which rows want logits.
// The engine fills one of these per step and reuses its arrays, so steady-state decoding allocates nothing.
using K2Native.Backends;

namespace K2Native.Model;

/// <summary>The inputs of <see cref="K2Model.Step"/>.</summary>
public sealed class StepBatch
{
    /// <param name="maxTokens">Most tokens one step may hold.</param>
    /// <param name="maxSequences">Most sequences one step may hold.</param>
    /// <param name="maxBlocksPerSequence">Longest block table (context length / block size, rounded up).</param>
    public StepBatch(int maxTokens, int maxSequences, int maxBlocksPerSequence)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTokens, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSequences, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBlocksPerSequence, 1);
        TokenIds = new int[maxTokens];
        Positions = new int[maxTokens];
        Slots = new int[maxTokens];
        LogitRows = new int[maxTokens];
        Attention = new AttentionBatch(
            new int[maxTokens], new int[maxTokens], new int[maxSequences * maxBlocksPerSequence], maxBlocksPerSequence);
    }

    /// <summary>Tokens in this step.</summary>
    public int Count { get; private set; }

    /// <summary>Rows whose logits the step returns, in <see cref="LogitRows"/> order.</summary>
    public int LogitCount { get; private set; }

    public int MaxTokens => TokenIds.Length;

    public int MaxSequences => Attention.BlockTables.Length / Attention.BlockTableStride;

    public int[] TokenIds { get; }

    /// <summary>Position of each token in its sequence (0-based).</summary>
    public int[] Positions { get; }

    /// <summary>Cache slot (block · block size + offset) that receives each token's entry.</summary>
    public int[] Slots { get; }

    /// <summary>Batch rows whose logits are wanted.</summary>
    public int[] LogitRows { get; }

    public AttentionBatch Attention { get; }

    /// <summary>Empties the batch.</summary>
    public void Clear()
    {
        Count = 0;
        LogitCount = 0;
        Attention.Tokens = 0;
    }

    /// <summary>The block table row of sequence <paramref name="sequence"/> (fill it before adding its
    /// tokens).</summary>
    public Span<int> BlockTable(int sequence) =>
        Attention.BlockTables.AsSpan(sequence * Attention.BlockTableStride, Attention.BlockTableStride);

    /// <summary>Appends a token of <paramref name="sequence"/> at <paramref name="position"/>, stored in
    /// <paramref name="slot"/>; it sees positions 0..position.</summary>
    public void Add(int token, int position, int slot, int sequence, bool wantLogits)
    {
        if (Count == MaxTokens) throw new InvalidOperationException($"StepBatch holds at most {MaxTokens} tokens");
        if ((uint)sequence >= (uint)MaxSequences)
            throw new ArgumentOutOfRangeException(nameof(sequence), $"sequence {sequence} of at most {MaxSequences}");
        TokenIds[Count] = token;
        Positions[Count] = position;
        Slots[Count] = slot;
        Attention.TokenSequence[Count] = sequence;
        Attention.KeyCounts[Count] = position + 1;
        if (wantLogits) LogitRows[LogitCount++] = Count;
        Count++;
        Attention.Tokens = Count;
    }
}

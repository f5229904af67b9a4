// What goes into the engine (a request: prompt ids, sampling, limits, stops) and what comes out of it (a stream
// of updates, one per generated token, and a final result saying why generation ended and what it cost).
namespace K2Native.Runtime;

/// <summary>One generation: prompt token ids and how to continue them.</summary>
public sealed record GenerationRequest
{
    public required IReadOnlyList<int> PromptTokens { get; init; }

    public SamplingParams Sampling { get; init; } = GenerationPreset.K2Thinking.Sampling;

    /// <summary>Most tokens to generate (the stop token not counted).</summary>
    public int MaxTokens { get; init; } = GenerationPreset.K2Thinking.MaxTokens;

    /// <summary>Text that ends generation when it appears; it and what follows are not returned.</summary>
    public IReadOnlyList<string> StopStrings { get; init; } = [];

    /// <summary>Token ids that end generation besides the checkpoint's eos ids and &lt;|im_end|&gt;.</summary>
    public IReadOnlyList<int> StopTokenIds { get; init; } = [];

    /// <summary>Called on the engine thread after each prefill step with (prompt tokens computed or reused, prompt
    /// tokens). Keep it short: the engine waits for it.</summary>
    public Action<int, int>? PrefillProgress { get; init; }

    /// <summary>A rule on which tokens may be sampled next; null allows every token.</summary>
    public ITokenConstraint? Constraint { get; init; }

    /// <summary>Null: no log-probabilities. 0 to <see cref="TokenLogProbs.MaxTop"/>: each update carries the sampled
    /// token's log-probability and this many most likely alternatives.</summary>
    public int? TopLogProbs { get; init; }

    /// <summary>Checks the request against a vocabulary and context; throws ArgumentException naming what is
    /// wrong.</summary>
    public void Validate(int vocabSize, int contextLength)
    {
        Sampling.Validate();
        if (PromptTokens.Count == 0) throw new ArgumentException("the prompt has no tokens");
        for (int i = 0; i < PromptTokens.Count; i++)
            if ((uint)PromptTokens[i] >= (uint)vocabSize)
                throw new ArgumentException(
                    $"prompt token {i} is {PromptTokens[i]}, outside the vocabulary [0, {vocabSize})");
        if (PromptTokens.Count >= contextLength)
            throw new ArgumentException(
                $"the prompt has {PromptTokens.Count} tokens; the context holds {contextLength}, so nothing could be "
                + "generated");
        GenerationPreset.CheckMaxTokens(MaxTokens);
        if (TopLogProbs is < 0 or > TokenLogProbs.MaxTop)
            throw new ArgumentException($"top log-probabilities {TopLogProbs} must be 0 to {TokenLogProbs.MaxTop}");
        foreach (int id in StopTokenIds)
            if ((uint)id >= (uint)vocabSize)
                throw new ArgumentException($"stop token {id} is outside the vocabulary [0, {vocabSize})");
    }
}

/// <summary>Why a generation ended.</summary>
public enum StopReason
{
    /// <summary>The model emitted an end-of-sequence id (eos, &lt;|im_end|&gt;, or a requested stop id).</summary>
    EndOfSequence,

    /// <summary>A stop string appeared.</summary>
    StopString,

    /// <summary>The requested number of tokens was generated.</summary>
    MaxTokens,

    /// <summary>The sequence filled the model's context (or the engine's context limit).</summary>
    ContextFull,

    /// <summary>The KV cache budget could not hold the sequence any longer.</summary>
    CacheFull,

    /// <summary>The caller cancelled.</summary>
    Cancelled,
}

/// <summary>One step of a generation's stream: a token and the text it completes (possibly empty), or the
/// end.</summary>
/// <param name="TokenId">The generated id; -1 on the final update.</param>
/// <param name="Text">Text now safe to show (UTF-8 complete, not part of a possible stop string).</param>
/// <param name="Result">Set on the final update only.</param>
/// <param name="LogProbs">The token's log-probabilities when the request asked for them
/// (<see cref="GenerationRequest.TopLogProbs"/>).</param>
public sealed record GenerationUpdate(
    int TokenId, string Text, GenerationResult? Result, TokenLogProbs? LogProbs = null);

/// <summary>How a generation ended and what it cost.</summary>
public sealed record GenerationResult(
    StopReason Reason,
    int PromptTokens,
    int ReusedPromptTokens,
    int GeneratedTokens,
    TimeSpan PrefillTime,
    TimeSpan DecodeTime,
    string? Detail)
{
    /// <summary>Prompt tokens computed per second of prefill (reused tokens excluded).</summary>
    public double PrefillTokensPerSecond => PrefillTime > TimeSpan.Zero
        ? (PromptTokens - ReusedPromptTokens) / PrefillTime.TotalSeconds
        : 0;

    /// <summary>Tokens generated per second after the first.</summary>
    public double DecodeTokensPerSecond => DecodeTime > TimeSpan.Zero && GeneratedTokens > 1
        ? (GeneratedTokens - 1) / DecodeTime.TotalSeconds
        : 0;
}

/// <summary>A generation stopped by its caller; <see cref="Partial"/> holds the figures of what ran (null when it never
/// started).</summary>
public sealed class GenerationCancelledException(GenerationResult? partial, CancellationToken token)
    : OperationCanceledException("the generation was cancelled", token)
{
    public GenerationResult? Partial { get; } = partial;
}

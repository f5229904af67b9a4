// One chat completion in flight: the engine's token stream parsed by the text layer into reasoning, content and
// tool-call events. Marker text never reaches the events (the parser consumes markers; malformed stretches are
// reported to a callback, not passed on). Counts the reasoning tokens for usage.
using System.Runtime.CompilerServices;
using K2Native.Runtime;
using K2Native.Text;

namespace K2Native.Serving;

/// <summary>Token counts of a finished completion, as OpenAI's usage reports them.</summary>
public sealed record ChatUsage(int PromptTokens, int CachedTokens, int CompletionTokens, int ReasoningTokens)
{
    public int TotalTokens => PromptTokens + CompletionTokens;
}

/// <summary>A started chat completion; enumerate <see cref="StreamAsync"/> once.</summary>
public sealed class ChatCompletionRun
{
    private readonly Engine _engine;
    private readonly GenerationRequest _request;
    private readonly OutputParser _parser;
    private readonly AssistantMessageBuilder _message = new();
    private readonly List<TokenLogProbs>? _logProbs;
    private int _logProbsTaken;

    internal ChatCompletionRun(Engine engine, GenerationRequest request, OutputParser parser)
    {
        _engine = engine;
        _request = request;
        _parser = parser;
        _logProbs = request.TopLogProbs is null ? null : [];
    }

    public int PromptTokens => _request.PromptTokens.Count;

    /// <summary>Hears output that does not follow K2's format (kept out of the events).</summary>
    public Action<MalformedOutput>? OnMalformed { get; set; }

    /// <summary>Set when the stream has ended.</summary>
    public ChatUsage? Usage { get; private set; }

    /// <summary>stop, length or tool_calls; set when the stream has ended.</summary>
    public FinishReason? FinishReason => _message.FinishReason;

    /// <summary>The answer folded so far (the whole answer once the stream has ended).</summary>
    public ChatMessage Message => _message.ToMessage();

    /// <summary>Every generated token's log-probabilities so far, in order; null when the request did not
    /// ask.</summary>
    public IReadOnlyList<TokenLogProbs>? LogProbs => _logProbs;

    /// <summary>The log-probabilities of tokens not yet taken (a stream attaches them to its next chunk); null when not
    /// asked.</summary>
    public IReadOnlyList<TokenLogProbs>? TakeLogProbs()
    {
        if (_logProbs is null) return null;
        var pending = _logProbs.GetRange(_logProbsTaken, _logProbs.Count - _logProbsTaken);
        _logProbsTaken = _logProbs.Count;
        return pending;
    }

    /// <summary>The engine's result (timings, stop reason), once the stream has ended.</summary>
    public GenerationResult? Result { get; private set; }

    /// <summary>Reasoning, content and tool-call events, then <see cref="Finished"/>. Cancelling frees the sequence's
    /// blocks before it throws.</summary>
    public async IAsyncEnumerable<OutputEvent> StreamAsync(
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var events = new List<OutputEvent>();
        var tokenizer = _engine.Tokenizer;
        int reasoningTokens = 0;
        await foreach (var update in _engine.GenerateAsync(_request, cancellationToken).ConfigureAwait(false))
        {
            events.Clear();
            if (update.TokenId >= 0 && _parser.IsReasoning) reasoningTokens++;
            if (update.LogProbs is { } logProbs) _logProbs?.Add(logProbs);
            string text = update.TokenId >= 0 && tokenizer.IsSpecial(update.TokenId)
                ? WithoutForeignSpecial(update.Text, update.TokenId)
                : update.Text;
            if (text.Length > 0) _parser.Push(text, events);
            if (update.Result is { } result)
            {
                Result = result;
                _parser.Finish(ChatTurn.FinishReasonOf(result.Reason), events);
                Usage = new ChatUsage(
                    result.PromptTokens, result.ReusedPromptTokens, result.GeneratedTokens, reasoningTokens);
            }
            foreach (var e in events)
            {
                _message.Apply(e);
                if (e is MalformedOutput m) OnMalformed?.Invoke(m);
                else yield return e;
            }
        }
    }

    /// <summary>Drops the name of a special token that is not one of K2's output markers (reserved ids a model may
    /// emit): it is no text.</summary>
    private string WithoutForeignSpecial(string text, int id)
    {
        string name = _engine.Tokenizer.Decode([id]);
        return K2Markers.ThinkingMarkers.Contains(name) ? text : text.Replace(name, "", StringComparison.Ordinal);
    }
}

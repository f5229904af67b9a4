// One legacy text completion in flight: the engine's tokens as raw text (no chat parsing: special tokens the
// model writes appear under their names), each piece with its token's log-probabilities when asked. Cancelling
// frees the sequence's blocks before the enumeration throws, as for chat.
using System.Runtime.CompilerServices;
using K2Native.Runtime;
using K2Native.Text;

namespace K2Native.Serving;

/// <summary>A piece of a text completion: the text one engine update made safe to show, and its token's
/// log-probabilities.</summary>
public sealed record TextPiece(string Text, TokenLogProbs? LogProbs);

/// <summary>A started text completion; enumerate <see cref="StreamAsync"/> once.</summary>
public sealed class TextCompletionRun
{
    private readonly Engine _engine;
    private readonly GenerationRequest _request;

    internal TextCompletionRun(Engine engine, GenerationRequest request, string echo)
    {
        _engine = engine;
        _request = request;
        Echo = echo;
    }

    /// <summary>The prompt's text when the request asked for echo, else empty.</summary>
    public string Echo { get; }

    public bool LogProbs => _request.TopLogProbs is not null;

    /// <summary>Set when the stream has ended (no reasoning tokens: there is no chat format here).</summary>
    public ChatUsage? Usage { get; private set; }

    /// <summary>stop or length; set when the stream has ended.</summary>
    public FinishReason? FinishReason { get; private set; }

    public async IAsyncEnumerable<TextPiece> StreamAsync(
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var update in _engine.GenerateAsync(_request, cancellationToken).ConfigureAwait(false))
        {
            if (update.Result is { } result)
            {
                FinishReason = ChatTurn.FinishReasonOf(result.Reason);
                Usage = new ChatUsage(result.PromptTokens, result.ReusedPromptTokens, result.GeneratedTokens, 0);
            }
            if (update.Text.Length > 0 || update.LogProbs is not null)
                yield return new TextPiece(update.Text, update.LogProbs);
        }
    }
}

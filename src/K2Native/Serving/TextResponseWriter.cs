// Writes legacy text completions in OpenAI's shapes: the whole response and the stream's chunks (both object
// "text_completion", choices [{index, text, logprobs, finish_reason}]), and the usage chunk with no choices. The
// stream has no role chunk; its last choice chunk has empty text and the finish reason.
using System.Text.Json;
using K2Native.Runtime;
using K2Native.Text;

namespace K2Native.Serving;

/// <summary>Serializes one text completion's responses; its chunks share <see cref="Id"/> and
/// <see cref="Created"/>.</summary>
public sealed class TextResponseWriter(string model, Tokenizer tokenizer, string echo)
{
    private readonly LegacyLogProbsWriter _logProbs = new(tokenizer, echo.Length);

    public string Id { get; } = "cmpl-" + Guid.NewGuid().ToString("N");

    public long Created { get; } = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    /// <summary>The non-streaming response (<paramref name="text"/> with the echo, if any, in front).</summary>
    public byte[] Completion(
        string text, IReadOnlyList<TokenLogProbs>? logProbs, FinishReason finish, ChatUsage usage) =>
        ChatResponseWriter.Write(w =>
    {
        Header(w);
        Choice(w, text, logProbs, ChatResponseWriter.FinishReasonName(finish));
        ChatResponseWriter.Usage(w, usage);
    });

    /// <summary>A chunk of text (the echo goes in the first one) with its tokens' log-probabilities when
    /// asked.</summary>
    public byte[] Chunk(string text, IReadOnlyList<TokenLogProbs>? logProbs) => ChatResponseWriter.Write(w =>
    {
        Header(w);
        Choice(w, text, logProbs, null);
    });

    public byte[] FinishChunk(FinishReason finish) => ChatResponseWriter.Write(w =>
    {
        Header(w);
        Choice(w, "", null, ChatResponseWriter.FinishReasonName(finish));
    });

    public byte[] UsageChunk(ChatUsage usage) => ChatResponseWriter.Write(w =>
    {
        Header(w);
        w.WriteStartArray("choices");
        w.WriteEndArray();
        ChatResponseWriter.Usage(w, usage);
    });

    private void Choice(Utf8JsonWriter w, string text, IReadOnlyList<TokenLogProbs>? logProbs, string? finishReason)
    {
        w.WriteStartArray("choices");
        w.WriteStartObject();
        w.WriteNumber("index", 0);
        w.WriteString("text", text);
        _logProbs.Write(w, logProbs);
        if (finishReason is null) w.WriteNull("finish_reason");
        else w.WriteString("finish_reason", finishReason);
        w.WriteEndObject();
        w.WriteEndArray();
    }

    private void Header(Utf8JsonWriter w)
    {
        w.WriteString("id", Id);
        w.WriteString("object", "text_completion");
        w.WriteNumber("created", Created);
        w.WriteString("model", model);
    }
}

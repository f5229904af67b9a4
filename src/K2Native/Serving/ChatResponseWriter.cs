// Writes chat completions in OpenAI's JSON shapes: the whole response (object "chat.completion"), the stream's
// chunks ("chat.completion.chunk": the role first, then reasoning_content / content / tool-call deltas, a chunk
// with finish_reason, an optional usage chunk with no choices) and the error object. Log-probabilities, when
// asked, go in each choice's `logprobs` (LogProbsJson).
using System.Text.Json;
using K2Native.Runtime;
using K2Native.Text;

namespace K2Native.Serving;

/// <summary>Serializes one completion's responses; <see cref="Id"/> and <see cref="Created"/> are shared by all its
/// chunks.</summary>
/// <param name="tokenizer">Spells out tokens when log-probabilities are written; needed only then.</param>
public sealed class ChatResponseWriter(string model, Tokenizer? tokenizer = null, string objectName = "chat.completion")
{
    public string Id { get; } = "chatcmpl-" + Guid.NewGuid().ToString("N");

    public long Created { get; } = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    public string Model => model;

    public static string FinishReasonName(FinishReason reason) => reason switch
    {
        FinishReason.ToolCalls => "tool_calls",
        FinishReason.Length => "length",
        _ => "stop",
    };

    /// <summary>The non-streaming response.</summary>
    public byte[] Completion(
        ChatMessage message, FinishReason finish, ChatUsage usage, IReadOnlyList<TokenLogProbs>? logProbs = null) =>
        Write(w =>
    {
        Header(w, objectName);
        w.WriteStartArray("choices");
        w.WriteStartObject();
        w.WriteNumber("index", 0);
        w.WriteStartObject("message");
        w.WriteString("role", "assistant");
        string content = message.Content?.PlainText ?? "";
        if (content.Length == 0 && message.HasToolCalls) w.WriteNull("content");
        else w.WriteString("content", content);
        if (message.ReasoningContent is { } reasoning) w.WriteString("reasoning_content", reasoning);
        if (message.HasToolCalls)
        {
            w.WriteStartArray("tool_calls");
            foreach (var call in message.ToolCalls!)
            {
                w.WriteStartObject();
                w.WriteString("id", call.Id);
                w.WriteString("type", "function");
                w.WriteStartObject("function");
                w.WriteString("name", call.Function.Name);
                w.WriteString("arguments", call.Function.Arguments.ToPromptText());
                w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        w.WriteEndObject();
        WriteLogProbs(w, logProbs);
        w.WriteString("finish_reason", FinishReasonName(finish));
        w.WriteEndObject();
        w.WriteEndArray();
        Usage(w, usage);
    });

    /// <summary>Whether a stream shows <paramref name="e"/> as a chunk (ToolCallCompleted it does not).</summary>
    public static bool Shows(OutputEvent e) =>
        e is ReasoningDelta or ContentDelta or ToolCallStarted or ToolCallArgumentsDelta or Finished;

    /// <summary>A chunk for one event the stream <see cref="Shows"/>, carrying <paramref name="logProbs"/> (tokens
    /// since the last chunk).</summary>
    public byte[] Chunk(OutputEvent e, IReadOnlyList<TokenLogProbs>? logProbs = null) => e switch
    {
        ReasoningDelta r => DeltaChunk(w => w.WriteString("reasoning_content", r.Text), logProbs),
        ContentDelta c => DeltaChunk(w => w.WriteString("content", c.Text), logProbs),
        ToolCallStarted s => DeltaChunk(w => ToolCallDelta(w, s.Index, s.Id, s.Name, ""), logProbs),
        ToolCallArgumentsDelta a => DeltaChunk(w => ToolCallDelta(w, a.Index, null, null, a.Text), logProbs),
        Finished f => DeltaChunk(_ => { }, logProbs, FinishReasonName(f.Reason)),
        _ => throw new ArgumentException($"a stream does not show {e.GetType().Name}", nameof(e)),
    };

    /// <summary>The first chunk: the role.</summary>
    public byte[] RoleChunk() => DeltaChunk(w =>
    {
        w.WriteString("role", "assistant");
        w.WriteString("content", "");
    });

    /// <summary>The usage chunk (stream_options.include_usage): no choices.</summary>
    public byte[] UsageChunk(ChatUsage usage) => Write(w =>
    {
        Header(w, "chat.completion.chunk");
        w.WriteStartArray("choices");
        w.WriteEndArray();
        Usage(w, usage);
    });

    /// <summary>OpenAI's error object.</summary>
    public static byte[] Error(ApiException e) => Write(w =>
    {
        w.WriteStartObject("error");
        w.WriteString("message", e.Message);
        w.WriteString("type", e.Type);
        if (e.Param is null) w.WriteNull("param");
        else w.WriteString("param", e.Param);
        if (e.Code is null) w.WriteNull("code");
        else w.WriteString("code", e.Code);
        w.WriteEndObject();
    });

    /// <summary>Writes one JSON object whose members <paramref name="body"/> writes.</summary>
    public static byte[] Write(Action<Utf8JsonWriter> body)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(
            buffer,
            new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }
        return buffer.ToArray();
    }

    private byte[] DeltaChunk(
        Action<Utf8JsonWriter> delta, IReadOnlyList<TokenLogProbs>? logProbs = null, string? finishReason = null) =>
        Write(w =>
    {
        Header(w, "chat.completion.chunk");
        w.WriteStartArray("choices");
        w.WriteStartObject();
        w.WriteNumber("index", 0);
        w.WriteStartObject("delta");
        delta(w);
        w.WriteEndObject();
        WriteLogProbs(w, logProbs);
        if (finishReason is null) w.WriteNull("finish_reason");
        else w.WriteString("finish_reason", finishReason);
        w.WriteEndObject();
        w.WriteEndArray();
    });

    private void WriteLogProbs(Utf8JsonWriter w, IReadOnlyList<TokenLogProbs>? logProbs)
    {
        if (logProbs is not null && tokenizer is null)
            throw new InvalidOperationException("writing log-probabilities needs the tokenizer");
        LogProbsJson.WriteChat(w, tokenizer!, logProbs);
    }

    private static void ToolCallDelta(Utf8JsonWriter w, int index, string? id, string? name, string arguments)
    {
        w.WriteStartArray("tool_calls");
        w.WriteStartObject();
        w.WriteNumber("index", index);
        if (id is not null)
        {
            w.WriteString("id", id);
            w.WriteString("type", "function");
        }
        w.WriteStartObject("function");
        if (name is not null) w.WriteString("name", name);
        w.WriteString("arguments", arguments);
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndArray();
    }

    private void Header(Utf8JsonWriter w, string objectName)
    {
        w.WriteString("id", Id);
        w.WriteString("object", objectName);
        w.WriteNumber("created", Created);
        w.WriteString("model", model);
    }

    /// <summary>OpenAI's usage object (both endpoints write the same one).</summary>
    internal static void Usage(Utf8JsonWriter w, ChatUsage usage)
    {
        w.WriteStartObject("usage");
        w.WriteNumber("prompt_tokens", usage.PromptTokens);
        w.WriteNumber("completion_tokens", usage.CompletionTokens);
        w.WriteNumber("total_tokens", usage.TotalTokens);
        w.WriteStartObject("prompt_tokens_details");
        w.WriteNumber("cached_tokens", usage.CachedTokens);
        w.WriteEndObject();
        w.WriteStartObject("completion_tokens_details");
        w.WriteNumber("reasoning_tokens", usage.ReasoningTokens);
        w.WriteEndObject();
        w.WriteEndObject();
    }
}

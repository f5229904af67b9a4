// The engine as a Microsoft.Extensions.AI chat client, in-process: messages and ChatOptions are mapped to the
// same ChatCompletionRequest the HTTP server reads, and the run's events come back as streaming updates:
// TextReasoningContent, TextContent, FunctionCallContent (once a call's arguments are complete), usage and the
// finish reason. With `new ChatClientBuilder(k2).UseFunctionInvocation().Build()` tool loops run in-process.
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using K2Native.Text;
using AI = Microsoft.Extensions.AI;

namespace K2Native.Serving;

/// <summary>An <see cref="AI.IChatClient"/> over a K2Native engine.</summary>
public sealed class K2ChatClient(ChatCompletionService service) : AI.IChatClient
{
    public async Task<AI.ChatResponse> GetResponseAsync(
        IEnumerable<AI.ChatMessage> messages,
        AI.ChatOptions? options = null,
        CancellationToken cancellationToken = default) =>
        await AI.ChatResponseExtensions.ToChatResponseAsync(
            GetStreamingResponseAsync(messages, options, cancellationToken), cancellationToken).ConfigureAwait(false);

    public async IAsyncEnumerable<AI.ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<AI.ChatMessage> messages, AI.ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var run = service.Start(ToRequest(messages, options));
        string responseId = "chatcmpl-" + Guid.NewGuid().ToString("N");
        await foreach (var e in run.StreamAsync(cancellationToken).ConfigureAwait(false))
        {
            AI.AIContent? content = e switch
            {
                ReasoningDelta r => new AI.TextReasoningContent(r.Text),
                ContentDelta c => new AI.TextContent(c.Text),
                ToolCallCompleted t => new AI.FunctionCallContent(
                    t.Call.Id, t.Call.Function.Name, ParseArguments(t.Call.Function.Arguments.ToPromptText())),
                _ => null,
            };
            var update = new AI.ChatResponseUpdate(AI.ChatRole.Assistant, content is null ? [] : [content])
            {
                ResponseId = responseId,
                MessageId = responseId,
                ModelId = service.Defaults.ModelName,
            };
            if (e is Finished f)
            {
                update.FinishReason = f.Reason switch
                {
                    FinishReason.ToolCalls => AI.ChatFinishReason.ToolCalls,
                    FinishReason.Length => AI.ChatFinishReason.Length,
                    _ => AI.ChatFinishReason.Stop,
                };
                if (run.Usage is { } u)
                    update.Contents.Add(new AI.UsageContent(new AI.UsageDetails
                    {
                        InputTokenCount = u.PromptTokens,
                        OutputTokenCount = u.CompletionTokens,
                        TotalTokenCount = u.TotalTokens,
                        CachedInputTokenCount = u.CachedTokens,
                        ReasoningTokenCount = u.ReasoningTokens,
                    }));
            }
            if (update.Contents.Count > 0 || update.FinishReason is not null) yield return update;
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is not null ? null
        : serviceType == typeof(AI.ChatClientMetadata)
            ? new AI.ChatClientMetadata("k2native", null, service.Defaults.ModelName)
        : serviceType.IsInstanceOfType(this) ? this
        : serviceType.IsInstanceOfType(service) ? service
        : null;

    public void Dispose() { }

    /// <summary>Maps Microsoft.Extensions.AI messages and options to the request the server would read.</summary>
    /// <exception cref="ApiException">An option this engine does not implement (penalties, JSON response
    /// formats).</exception>
    public static ChatCompletionRequest ToRequest(IEnumerable<AI.ChatMessage> messages, AI.ChatOptions? options)
    {
        if (options?.FrequencyPenalty is { } fp && fp != 0)
            throw ApiException.Unsupported("frequency_penalty", "penalties are not implemented");
        if (options?.PresencePenalty is { } pp && pp != 0)
            throw ApiException.Unsupported("presence_penalty", "penalties are not implemented");
        if (options?.ResponseFormat is AI.ChatResponseFormatJson)
            throw ApiException.Unsupported("response_format", "only text is supported (no constrained JSON decoding)");
        var list = new List<ChatMessage>();
        if (options?.Instructions is { Length: > 0 } instructions) list.Add(ChatMessage.System(instructions));
        foreach (var m in messages) list.AddRange(ToK2Messages(m));
        var functions = options?.Tools?.OfType<AI.AIFunctionDeclaration>().ToArray() ?? [];
        return new ChatCompletionRequest
        {
            Model = options?.ModelId,
            Messages = list,
            Tools = functions.Length == 0 ? null : new JsonArray([.. functions.Select(ToolDefinition)]),
            ToolChoice = options?.ToolMode switch
            {
                AI.NoneChatToolMode => ToolChoice.None,
                AI.RequiredChatToolMode { RequiredFunctionName: { } name } =>
                    new ToolChoice(ToolChoiceMode.Named, name),
                AI.RequiredChatToolMode => ToolChoice.Required,
                _ => ToolChoice.Auto,
            },
            ParallelToolCalls = options?.AllowMultipleToolCalls ?? true,
            MaxTokens = options?.MaxOutputTokens,
            Temperature = options?.Temperature,
            TopP = options?.TopP,
            TopK = options?.TopK,
            Seed = options?.Seed is { } seed ? unchecked((ulong)seed) : null,
            Stop = options?.StopSequences?.ToArray() ?? [],
        };
    }

    private static IEnumerable<ChatMessage> ToK2Messages(AI.ChatMessage m)
    {
        string role = m.Role.Value;
        var results = m.Contents.OfType<AI.FunctionResultContent>().ToArray();
        foreach (var r in results)
            yield return ChatMessage.Tool(r.CallId, r.Result switch
            {
                null => "",
                string s => s,
                JsonElement j when j.ValueKind == JsonValueKind.String => j.GetString()!,
                var other => JsonSerializer.Serialize(
                    other, AI.AIJsonUtilities.DefaultOptions.GetTypeInfo(other.GetType())),
            });
        string text = string.Concat(m.Contents.OfType<AI.TextContent>().Select(t => t.Text));
        string reasoning = string.Concat(m.Contents.OfType<AI.TextReasoningContent>().Select(t => t.Text));
        var calls = m.Contents.OfType<AI.FunctionCallContent>()
            .Select(
                c => ToolCall.Create(
                    c.CallId, c.Name,
                    JsonSerializer.Serialize(
                        c.Arguments
                            ?? new Dictionary<string, object?>(), AI.AIJsonUtilities.DefaultOptions.GetTypeInfo(
                                typeof(IDictionary<string, object?>)))))
            .ToArray();
        if (results.Length > 0 && text.Length == 0 && calls.Length == 0) yield break;
        yield return new ChatMessage
        {
            Role = role,
            Content = text,
            Name = m.AuthorName,
            ReasoningContent = reasoning.Length > 0 ? reasoning : null,
            ToolCalls = calls.Length > 0 ? calls : null,
        };
    }

    private static JsonObject ToolDefinition(AI.AIFunctionDeclaration f) => new()
    {
        ["type"] = "function",
        ["function"] = new JsonObject
        {
            ["name"] = f.Name,
            ["description"] = f.Description,
            ["parameters"] = JsonNode.Parse(f.JsonSchema.GetRawText()),
        },
    };

    private static Dictionary<string, object?> ParseArguments(string json)
    {
        try
        {
            return JsonNode.Parse(json) is JsonObject o
                ? o.ToDictionary(
                    p => p.Key,
                    p => p.Value is null
                        ? null
                        : (object?)JsonDocument.Parse(p.Value.ToJsonString()).RootElement.Clone())
                : [];
        }
        catch (JsonException)
        {
            return [];
        }
    }
}

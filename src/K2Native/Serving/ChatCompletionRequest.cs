// One chat completion as the engine's OpenAI face sees it, whichever surface it came from (the HTTP server's
// JSON through ChatRequestReader, or K2ChatClient's Microsoft.Extensions.AI messages). Validate() holds the
// checks both surfaces share: roles, tool definitions, tool results that answer a call, tool_choice.
using System.Text.Json.Nodes;
using K2Native.Runtime;
using K2Native.Text;

namespace K2Native.Serving;

/// <summary>A validated chat completion request.</summary>
public sealed record ChatCompletionRequest
{
    /// <summary>Roles a request may use; "developer" is OpenAI's newer name for a system message.</summary>
    public static readonly IReadOnlySet<string> Roles = new HashSet<string>(StringComparer.Ordinal)
    {
        "system",
        "developer",
        "user",
        "assistant",
        "tool"
    };

    public string? Model { get; init; }

    public required IReadOnlyList<ChatMessage> Messages { get; init; }

    /// <summary>The tools as OpenAI function definitions (rendered into the prompt by the template); null when
    /// none.</summary>
    public JsonArray? Tools { get; init; }

    public ToolChoice ToolChoice { get; init; } = ToolChoice.Auto;

    /// <summary>Whether several calls may come in one answer (false stops the section after the first call).</summary>
    public bool ParallelToolCalls { get; init; } = true;

    /// <summary>Most tokens to generate; null means the server's default, cut to what the context leaves.</summary>
    public int? MaxTokens { get; init; }

    public float? Temperature { get; init; }

    public float? TopP { get; init; }

    public int? TopK { get; init; }

    public float? MinP { get; init; }

    public ulong? Seed { get; init; }

    public IReadOnlyList<string> Stop { get; init; } = [];

    public bool Stream { get; init; }

    public bool IncludeUsage { get; init; }

    /// <summary>Null: no log-probabilities; else each token's and this many alternatives' (logprobs: true,
    /// top_logprobs).</summary>
    public int? TopLogProbs { get; init; }

    /// <summary>Reasoning on or off (chat_template_kwargs.thinking or Moonshot's thinking.type); null: the checkpoint's
    /// way.</summary>
    public bool? Thinking { get; init; }

    /// <summary>The names of the tools, in order.</summary>
    public IReadOnlyList<string> ToolNames =>
        Tools?.Select(t => t?["function"]?["name"]?.GetValue<string>() ?? "").ToArray() ?? [];

    /// <summary>The tool calls the conversation already holds (K2's ids number calls across the whole
    /// conversation).</summary>
    public int PreviousToolCalls => Messages.Sum(m => m.ToolCalls?.Count ?? 0);

    /// <summary>Sampling: the request's fields over the server's defaults.</summary>
    public SamplingParams Sampling(SamplingParams defaults) => SamplingFields.Over(defaults);

    private SamplingFields SamplingFields => new(Temperature, TopP, TopK, MinP, Seed);

    /// <summary>Checks what every surface must: roles, tool results answering earlier calls, tool_choice against the
    /// tools.</summary>
    /// <exception cref="ApiException">400 naming the field.</exception>
    public void Validate()
    {
        if (Messages.Count == 0)
            throw ApiException.Invalid("messages", "at least one message is required", "invalid_value");
        var callIds = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < Messages.Count; i++)
        {
            var m = Messages[i];
            string path = $"messages[{i}]";
            if (!Roles.Contains(m.Role))
                throw ApiException.Invalid(
                    path + ".role", $"unknown role \"{m.Role}\" (expected system, developer, user, assistant or tool)");
            if (m.Role is "system" or "developer" or "user" && m.Content is null)
                throw ApiException.Invalid(
                    path + ".content", $"a {m.Role} message needs content", "missing_required_parameter");
            if (m.Role != "assistant" && m.ToolCalls is not null)
                throw ApiException.Invalid(path + ".tool_calls", "only assistant messages carry tool calls");
            if (m.Role == "assistant")
                foreach (var call in m.ToolCalls ?? []) callIds.Add(call.Id);
            if (m.Role == "tool")
            {
                if (m.ToolCallId is null)
                    throw ApiException.Invalid(
                        path + ".tool_call_id", "a tool message needs the id of the call it answers",
                        "missing_required_parameter");
                if (!callIds.Contains(m.ToolCallId))
                    throw ApiException.Invalid(
                        path + ".tool_call_id",
                        $"\"{m.ToolCallId}\" answers no tool call of an earlier assistant message");
            }
        }
        var names = ToolNames;
        switch (ToolChoice.Mode)
        {
            case ToolChoiceMode.Required when names.Count == 0:
                throw ApiException.Invalid("tool_choice", "\"required\" needs at least one tool in tools");
            case ToolChoiceMode.Named when !names.Contains(ToolChoice.Name):
                throw ApiException.Invalid(
                    "tool_choice.function.name", $"\"{ToolChoice.Name}\" is not one of the tools");
        }
        if (MaxTokens is < 1) throw ApiException.Invalid("max_tokens", $"{MaxTokens} must be at least 1");
        if (TopLogProbs is < 0 or > TokenLogProbs.MaxTop)
            throw ApiException.Invalid("top_logprobs", $"{TopLogProbs} is out of range [0, {TokenLogProbs.MaxTop}]");
        SamplingFields.Validate();
    }
}

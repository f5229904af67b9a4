// One OpenAI-style chat message (system, user, assistant with reasoning and tool calls, tool result). Fields the
// JSON gave as an explicit null are remembered, because the K2 template tells null from absent in two places
// (reasoning_content and tool_call_id print "None") and a saved conversation should read back the same.
namespace K2Native.Text;

/// <summary>Optional message fields, for <see cref="ChatMessage.ExplicitNulls"/>.</summary>
[Flags]
public enum ChatMessageFields
{
    None = 0,
    Content = 1,
    Name = 2,
    ReasoningContent = 4,
    ToolCalls = 8,
    ToolCallId = 16,
}

/// <summary>A chat message. Role is free text: "user" and "assistant" have their own markers, every other role is a
/// system-side turn.</summary>
public sealed record ChatMessage
{
    public required string Role { get; init; }

    /// <summary>Text or parts; null when absent or JSON null.</summary>
    public ChatContent? Content { get; init; }

    /// <summary>Shown in place of the role in the turn header when not empty.</summary>
    public string? Name { get; init; }

    /// <summary>The assistant's reasoning (kept in the prompt only for turns after the last finished answer).</summary>
    public string? ReasoningContent { get; init; }

    /// <summary>The assistant's tool calls (null when absent; an empty list counts as none).</summary>
    public IReadOnlyList<ToolCall>? ToolCalls { get; init; }

    /// <summary>For a tool result: the id of the call it answers.</summary>
    public string? ToolCallId { get; init; }

    /// <summary>The fields the JSON gave as null rather than leaving out (a field with a value ignores its
    /// flag).</summary>
    public ChatMessageFields ExplicitNulls { get; init; }

    public bool HasToolCalls => ToolCalls is { Count: > 0 };

    public static ChatMessage System(string content) => new() { Role = "system", Content = content };

    public static ChatMessage User(string content) => new() { Role = "user", Content = content };

    public static ChatMessage Assistant(
        string content, string? reasoningContent = null, IReadOnlyList<ToolCall>? toolCalls = null) =>
        new() { Role = "assistant", Content = content, ReasoningContent = reasoningContent, ToolCalls = toolCalls };

    public static ChatMessage Tool(string toolCallId, string content, string? name = null) =>
        new() { Role = "tool", ToolCallId = toolCallId, Content = content, Name = name };

    internal bool IsExplicitNull(ChatMessageFields field) => (ExplicitNulls & field) != 0;

    public bool Equals(ChatMessage? other) =>
        other is not null && Role == other.Role && Equals(Content, other.Content) && Name == other.Name
        && ReasoningContent == other.ReasoningContent && ToolCallId == other.ToolCallId
            && ExplicitNulls == other.ExplicitNulls
        && (ToolCalls is null
            ? other.ToolCalls is null
            : other.ToolCalls is not null && ToolCalls.SequenceEqual(other.ToolCalls));

    public override int GetHashCode() => HashCode.Combine(
        Role, Content, Name, ReasoningContent, ToolCallId, ToolCalls?.Count);
}

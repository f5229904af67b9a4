// Folds OutputParser events into the assistant ChatMessage a REPL appends to its conversation: reasoning_content,
// content and the completed tool calls with their arguments as the raw JSON text the model wrote (rendered back
// verbatim by the template). Malformed stretches are not part of the message; they are kept in Problems.
using System.Text;

namespace K2Native.Text;

/// <summary>Accumulates one output's events into an assistant message.</summary>
public sealed class AssistantMessageBuilder
{
    private readonly StringBuilder _reasoning = new();
    private readonly StringBuilder _content = new();
    private readonly List<ToolCall> _toolCalls = [];
    private readonly List<MalformedOutput> _problems = [];

    /// <summary>Everything reported malformed, in order.</summary>
    public IReadOnlyList<MalformedOutput> Problems => _problems;

    /// <summary>The finish reason, once the Finished event was applied.</summary>
    public FinishReason? FinishReason { get; private set; }

    public void Apply(OutputEvent e)
    {
        switch (e)
        {
            case ReasoningDelta r: _reasoning.Append(r.Text); break;
            case ContentDelta c: _content.Append(c.Text); break;
            case ToolCallCompleted t: _toolCalls.Add(t.Call); break;
            case MalformedOutput m: _problems.Add(m); break;
            case Finished f: FinishReason = f.Reason; break;
        }
    }

    public void Apply(IEnumerable<OutputEvent> events)
    {
        foreach (var e in events) Apply(e);
    }

    /// <summary>The message so far: content always a string, reasoning and tool calls null when there were
    /// none.</summary>
    public ChatMessage ToMessage() => new()
    {
        Role = "assistant",
        Content = _content.ToString(),
        ReasoningContent = _reasoning.Length > 0 ? _reasoning.ToString() : null,
        ToolCalls = _toolCalls.Count > 0 ? _toolCalls.ToArray() : null,
    };
}

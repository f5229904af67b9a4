// One task of the demo model's evaluation, as a line of a tasks JSONL holds it (docs/demo-model.md): an id, the
// date current_date returns, the text the final answer must contain, and the full reference conversation. The
// prompt is the messages up to and including the last user message; the rest is the reference completion.
using K2Native.Text;

namespace K2Native.Applications.Eval;

/// <summary>An evaluation task.</summary>
internal sealed record DemoTask
{
    public required string Id { get; init; }

    /// <summary>What current_date returns while the task runs.</summary>
    public required DateOnly Today { get; init; }

    /// <summary>The text the final answer must contain for the task to count as solved.</summary>
    public required string Expected { get; init; }

    /// <summary>The full reference conversation.</summary>
    public required IReadOnlyList<ChatMessage> Messages { get; init; }

    /// <summary>Where the task was read from ("file:line"), for messages.</summary>
    public string Origin { get; init; } = "";

    /// <summary>Messages up to and including the last user message: what the model is given.</summary>
    public IReadOnlyList<ChatMessage> Prompt => Messages.Take(LastUser + 1).ToArray();

    /// <summary>The reference messages after the prompt: tool-calling turns, tool results, the final answer.</summary>
    public IReadOnlyList<ChatMessage> ReferenceCompletion => Messages.Skip(LastUser + 1).ToArray();

    /// <summary>How many tool calls the reference completion makes.</summary>
    public int ReferenceToolCalls => ReferenceCompletion.Sum(m => m.ToolCalls?.Count ?? 0);

    private int LastUser
    {
        get
        {
            for (int i = Messages.Count - 1; i >= 0; i--)
                if (Messages[i].Role == "user") return i;
            return -1;
        }
    }
}

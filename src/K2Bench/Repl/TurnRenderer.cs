// Streams the parsed events of one assistant turn to the REPL output: reasoning dimmed under "thinking:" (or
// hidden), the answer after "k2>", each tool call as `→ NAME {arguments}`, malformed output flagged with its
// raw text. Blank text at the start of a part is not shown.
using K2Native.Text;

namespace K2Bench.Repl;

internal sealed class TurnRenderer(ReplOutput output, bool showReasoning)
{
    private enum Part { None, Reasoning, Content, Tool }

    private Part _part;
    private bool _ended;

    public void Render(OutputEvent e)
    {
        switch (e)
        {
            case ReasoningDelta r when showReasoning:
                Show(Part.Reasoning, r.Text, output.Reasoning);
                break;
            case ContentDelta c:
                Show(Part.Content, c.Text, output.Content);
                break;
            case ToolCallStarted s:
                Enter(Part.Tool);
                output.Tool($"→ {s.Name} ");
                break;
            case ToolCallArgumentsDelta a:
                output.Tool(a.Text);
                break;
            case ToolCallCompleted c:
                output.Tool(c.ArgumentsAreValidJson ? "\n" : "  (arguments are not valid JSON)\n");
                _part = Part.None;
                break;
            case MalformedOutput m:
                Enter(Part.None);
                output.Error($"[malformed output: {m.Problem}] ");
                output.Note(m.RawText + "\n");
                break;
        }
    }

    /// <summary>Closes the last line of the turn.</summary>
    public void End()
    {
        if (_ended) return;
        _ended = true;
        Enter(Part.None);
    }

    /// <summary>Writes text of a part, opening the part at its first non-blank text.</summary>
    private void Show(Part part, string text, Action<string> write)
    {
        if (_part != part)
        {
            text = text.TrimStart();
            if (text.Length == 0) return;
            Enter(part);
        }
        write(text);
    }

    private void Enter(Part part)
    {
        if (_part == part) return;
        if (_part is Part.Reasoning or Part.Content) output.Line();
        if (part == Part.Reasoning) output.Note("thinking: ");
        if (part == Part.Content) output.Prompt("k2> ");
        _part = part;
    }
}

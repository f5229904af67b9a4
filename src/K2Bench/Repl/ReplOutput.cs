// How `k2 chat` writes: answer text plain, reasoning dimmed, tool calls and built-in tool results marked,
// notes and errors set apart. Plain text when the output is not a terminal (pipes, tests).
using Spectre.Console;

namespace K2Bench.Repl;

internal sealed class ReplOutput(IAnsiConsole console)
{
    private static readonly Style ReasoningStyle = new(Color.Grey, decoration: Decoration.Italic);
    private static readonly Style ToolStyle = new(Color.Yellow);
    private static readonly Style NoteStyle = new(Color.Grey);
    private static readonly Style ErrorStyle = new(Color.Red);
    private static readonly Style PromptStyle = new(Color.Green, decoration: Decoration.Bold);

    public IAnsiConsole Console => console;

    public void Content(string text) => Write(text, Style.Plain);

    public void Reasoning(string text) => Write(text, ReasoningStyle);

    public void Tool(string text) => Write(text, ToolStyle);

    public void Note(string text) => Write(text, NoteStyle);

    public void Error(string text) => Write(text, ErrorStyle);

    public void Prompt(string text) => Write(text, PromptStyle);

    public void Line(string text = "") => console.Write(new Text(text + "\n"));

    private void Write(string text, Style style)
    {
        if (text.Length > 0) console.Write(new Text(text, style));
    }
}

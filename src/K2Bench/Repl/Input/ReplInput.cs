// Where `k2 chat` reads messages: a terminal (the line editor, with history) or a pipe (a line is a message,
// echoed after the prompt so a piped transcript reads like a session, exactly as before the editor existed).
namespace K2Bench.Repl.Input;

internal interface IReplInput
{
    /// <summary>True for a person at a terminal (the line editor); false for piped input.</summary>
    bool Interactive { get; }

    /// <summary>Shows <paramref name="prompt"/> and reads the next message.</summary>
    InputLine Read(string prompt);
}

/// <summary>Messages typed at a terminal, through the line editor.</summary>
internal sealed class EditorInput(LineEditor editor) : IReplInput
{
    public const string Continuation = "...  ";

    public bool Interactive => true;

    public LineEditor Editor => editor;

    public InputLine Read(string prompt) => editor.Read(prompt, Continuation);
}

/// <summary>Messages from a pipe or file, one per line.</summary>
internal sealed class PipedInput(TextReader reader, ReplOutput output) : IReplInput
{
    public bool Interactive => false;

    public InputLine Read(string prompt)
    {
        output.Prompt(prompt);
        string? line = reader.ReadLine();
        output.Line(line ?? "");
        return line is null ? new InputLine(InputKind.End) : new InputLine(InputKind.Text, line);
    }
}

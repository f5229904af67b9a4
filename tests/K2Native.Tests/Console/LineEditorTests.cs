// The line editor of `k2 chat` driven by scripted keys: editing keys, history recall and its file, messages of
// several lines (paste, trailing backslash, """ blocks), Ctrl+C and Ctrl+D.
using K2Bench.Repl.Input;
using K2Native.Tests.Support;

namespace K2Native.Tests.Console;

public sealed class LineEditorTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static List<InputLine> ReadAll(ScriptedKeys keys, InputHistory? history = null)
    {
        var editor = new LineEditor(keys, new StringWriter(), history ?? new InputHistory());
        var lines = new List<InputLine>();
        while (true)
        {
            var line = editor.Read("you> ", "...  ");
            lines.Add(line);
            if (line.Kind == InputKind.End) return lines;
        }
    }

    private static string[] Texts(List<InputLine> lines) =>
        lines.Where(l => l.Kind == InputKind.Text).Select(l => l.Text).ToArray();

    [Fact]
    public void EditingKeysChangeTheLine()
    {
        var keys = new ScriptedKeys()
            .Type("helo").Press(ConsoleKey.LeftArrow).Type("l").Press(ConsoleKey.End).Type(" world\n")
            .Type("abc def").Press(ScriptedKeys.Ctrl('w')).Type("xyz\n")
            .Type("abc def")
            .Press(ConsoleKey.Home)
            .Press(ConsoleKey.Delete)
            .Press(ScriptedKeys.Ctrl('e'))
            .Press(ConsoleKey.Backspace)
            .Type("\n")
            .Type("gone").Press(ScriptedKeys.Ctrl('u')).Type("kept\n")
            .Type("keep cut")
            .Press(ConsoleKey.LeftArrow, ConsoleKey.LeftArrow, ConsoleKey.LeftArrow, ConsoleKey.LeftArrow)
            .Press(ScriptedKeys.Ctrl('k'))
            .Type("\n");
        Assert.Equal(["hello world", "abc xyz", "bc de", "kept", "keep"], Texts(ReadAll(keys)));
    }

    [Fact]
    public void UpAndDownRecallTheHistoryAndKeepTheDraft()
    {
        var keys = new ScriptedKeys()
            .Type("first\n").Type("second\n")
            .Type("draft").Press(ConsoleKey.UpArrow, ConsoleKey.UpArrow).Type("!\n")
            .Type("draft").Press(ConsoleKey.UpArrow, ConsoleKey.DownArrow).Type("s\n");
        Assert.Equal(["first", "second", "first!", "drafts"], Texts(ReadAll(keys)));
    }

    [Fact]
    public void HistoryIsSavedAndReadBackInTheNextSession()
    {
        string file = Path.Combine(_dir.Path, "k2", "chat_history.jsonl");
        ReadAll(new ScriptedKeys().Paste("two\nlines\n").Type("one\n").Type("one\n"), new InputHistory(file));
        var next = new InputHistory(file);
        Assert.Equal(["two\nlines", "one"], next.Entries);
        var recalled = ReadAll(new ScriptedKeys().Press(ConsoleKey.UpArrow, ConsoleKey.UpArrow).Type("\n"), next);
        Assert.Equal(["two\nlines"], Texts(recalled));
    }

    [Fact]
    public void APastedBlockIsOneMessage()
    {
        var keys = new ScriptedKeys().Paste("def f(x):\n    return x \\\n\n").Type("after\n");
        Assert.Equal(["def f(x):\n    return x \\\n", "after"], Texts(ReadAll(keys)));
    }

    [Fact]
    public void TrailingBackslashAndTripleQuotesContinueTheMessage()
    {
        var keys = new ScriptedKeys()
            .Type("one \\\ntwo\n")
            .Type("\"\"\"\nfirst line\n\nthird line\n\"\"\"\n")
            .Type("\"\"\"inline\"\"\"\n");
        Assert.Equal(["one \ntwo", "first line\n\nthird line\n", "inline"], Texts(ReadAll(keys)));
    }

    [Fact]
    public void CtrlCClearsTheLineAndCtrlDEndsOnAnEmptyLine()
    {
        var keys = new ScriptedKeys()
            .Type("half typed").Press(ScriptedKeys.Ctrl('c'))
            .Press(ScriptedKeys.Ctrl('c'))
            .Type("ab").Press(ConsoleKey.LeftArrow).Press(ScriptedKeys.Ctrl('d')).Type("\n")
            .Press(ScriptedKeys.Ctrl('d'))
            .Type("never read\n");
        var lines = ReadAll(keys);
        Assert.Equal(
            [InputKind.Interrupt, InputKind.Interrupt, InputKind.Text, InputKind.End], lines.Select(l => l.Kind));
        Assert.Equal("half typed", lines[0].Text);
        Assert.Equal("", lines[1].Text);
        Assert.Equal("a", lines[2].Text);
    }
}

// The line editor `k2 chat` reads with on a terminal: emacs-style editing of the line (Left/Right, Home/End,
// Ctrl+A/E/B/F, Ctrl+Left/Right by word, Backspace/Delete, Ctrl+U/K/W), Up/Down through the history, and
// messages of several lines: a pasted block (keys that arrive together) is one message, a line ending in `\`
// continues on the next, and a block between lines of `"""` is taken as written. Ctrl+C clears what was typed
// (on an empty line it is reported, so the REPL can leave on the second); Ctrl+D on an empty line is the end.
// Keys come from an IKeySource, so tests drive it with scripted keys. Lines longer than the terminal is wide
// are edited correctly but redrawn only from their last screen row.
using System.Text;

namespace K2Bench.Repl.Input;

/// <summary>What a read returned.</summary>
internal enum InputKind
{
    /// <summary>A message (possibly of several lines).</summary>
    Text,

    /// <summary>Ctrl+C; <see cref="InputLine.Text"/> is what it cleared ("" on an empty line).</summary>
    Interrupt,

    /// <summary>Ctrl+D on an empty line, or the end of input.</summary>
    End,
}

internal readonly record struct InputLine(InputKind Kind, string Text = "");

internal sealed class LineEditor(IKeySource keys, TextWriter screen, InputHistory history)
{
    /// <summary>Marks a line break inside a recalled multi-line history entry.</summary>
    private const char NewlineGlyph = '↵';

    private const string Block = "\"\"\"";

    private readonly List<string> _committed = [];
    private readonly StringBuilder _line = new();
    private int _cursor;
    private string _prompt = "";
    private bool _inBlock;

    public InputHistory History => history;

    /// <summary>
    /// Reads one message after <paramref name="prompt"/>; later lines of it get <paramref name="continuation"/>.
    /// </summary>
    public InputLine Read(string prompt, string continuation)
    {
        _committed.Clear();
        _line.Clear();
        _cursor = 0;
        _inBlock = false;
        int recalled = history.Entries.Count;
        string draft = "";
        SetPrompt(prompt);
        while (true)
        {
            if (keys.ReadKey() is not { } key)
            {
                screen.Write('\n');
                screen.Flush();
                string pending = Message();
                return pending.Length > 0 ? Submit(pending) : new InputLine(InputKind.End);
            }
            bool control = (key.Modifiers & ConsoleModifiers.Control) != 0;
            switch (key.Key)
            {
                case ConsoleKey.Enter:
                    if (EndOfLine(continuation) is { } message) return Submit(message);
                    break;
                case ConsoleKey.C when control:
                    string cleared = Message();
                    screen.Write("^C\n");
                    screen.Flush();
                    return new InputLine(InputKind.Interrupt, cleared);
                case ConsoleKey.D when control:
                    if (_committed.Count == 0 && _line.Length == 0)
                    {
                        screen.Write('\n');
                        screen.Flush();
                        return new InputLine(InputKind.End);
                    }
                    Delete(_cursor, 1);
                    break;
                case ConsoleKey.Backspace:
                    if (_cursor > 0) Delete(_cursor - 1, 1);
                    break;
                case ConsoleKey.Delete:
                    Delete(_cursor, 1);
                    break;
                case ConsoleKey.LeftArrow when control:
                    MoveTo(WordStart());
                    break;
                case ConsoleKey.RightArrow when control:
                    MoveTo(WordEnd());
                    break;
                case ConsoleKey.LeftArrow or ConsoleKey.B when key.Key == ConsoleKey.LeftArrow || control:
                    MoveTo(_cursor - 1);
                    break;
                case ConsoleKey.RightArrow or ConsoleKey.F when key.Key == ConsoleKey.RightArrow || control:
                    MoveTo(_cursor + 1);
                    break;
                case ConsoleKey.Home or ConsoleKey.A when key.Key == ConsoleKey.Home || control:
                    MoveTo(0);
                    break;
                case ConsoleKey.End or ConsoleKey.E when key.Key == ConsoleKey.End || control:
                    MoveTo(_line.Length);
                    break;
                case ConsoleKey.U when control:
                    Delete(0, _cursor);
                    break;
                case ConsoleKey.K when control:
                    Delete(_cursor, _line.Length - _cursor);
                    break;
                case ConsoleKey.W when control:
                    int start = WordStart();
                    Delete(start, _cursor - start);
                    break;
                case ConsoleKey.UpArrow or ConsoleKey.DownArrow when _committed.Count == 0:
                    if (recalled == history.Entries.Count) draft = _line.ToString();
                    recalled = Math.Clamp(
                        recalled + (key.Key == ConsoleKey.UpArrow ? -1 : 1), 0, history.Entries.Count);
                    Replace(recalled == history.Entries.Count
                        ? draft
                        : history.Entries[recalled].Replace('\n', NewlineGlyph));
                    break;
                case ConsoleKey.Tab:
                    Insert("    ");
                    break;
                default:
                    if (key.KeyChar != '\0' && !char.IsControl(key.KeyChar)) Insert(key.KeyChar.ToString());
                    break;
            }
        }
    }

    /// <summary>Enter: ends the message (returned), or commits the line and goes on with the next.</summary>
    private string? EndOfLine(string continuation)
    {
        string line = _line.ToString();
        bool pasted = keys.KeyAvailable;
        if (_inBlock)
        {
            if (line.TrimEnd().EndsWith(Block, StringComparison.Ordinal))
                return Message(line.TrimEnd()[..^Block.Length]);
        }
        else if (_committed.Count == 0 && !pasted && line.TrimStart().StartsWith(Block, StringComparison.Ordinal))
        {
            string rest = line.TrimStart()[Block.Length..];
            if (rest.TrimEnd().EndsWith(Block, StringComparison.Ordinal) && rest.TrimEnd().Length >= Block.Length)
                return rest.TrimEnd()[..^Block.Length];
            _inBlock = true;
            NewLine(continuation);
            if (rest.Length > 0) _committed.Add(rest);
            return null;
        }
        else if (!pasted && line.EndsWith('\\'))
        {
            _committed.Add(line[..^1]);
            NewLine(continuation);
            return null;
        }
        else if (!pasted)
        {
            return Message();
        }
        _committed.Add(line);
        NewLine(continuation);
        return null;
    }

    private InputLine Submit(string message)
    {
        screen.Write('\n');
        screen.Flush();
        history.Add(message);
        return new InputLine(InputKind.Text, message);
    }

    /// <summary>The committed lines and <paramref name="last"/> (the current line when null) as one text.</summary>
    private string Message(string? last = null) =>
        string.Join('\n', _committed.Append(last ?? _line.ToString())).Replace(NewlineGlyph, '\n');

    private void NewLine(string continuation)
    {
        screen.Write('\n');
        _line.Clear();
        _cursor = 0;
        SetPrompt(continuation);
    }

    private void SetPrompt(string prompt)
    {
        _prompt = prompt;
        screen.Write($"\u001b[1;32m{prompt}\u001b[0m");
        screen.Flush();
    }

    private void Insert(string text)
    {
        _line.Insert(_cursor, text);
        _cursor += text.Length;
        if (_cursor == _line.Length)
        {
            screen.Write(text);
            if (!keys.KeyAvailable) screen.Flush();
        }
        else
        {
            Redraw();
        }
    }

    private void Delete(int at, int count)
    {
        count = Math.Min(count, _line.Length - at);
        if (at < 0 || count <= 0) return;
        _line.Remove(at, count);
        _cursor = at;
        Redraw();
    }

    private void Replace(string text)
    {
        _line.Clear().Append(text);
        _cursor = text.Length;
        Redraw();
    }

    private void MoveTo(int position)
    {
        position = Math.Clamp(position, 0, _line.Length);
        if (position == _cursor) return;
        screen.Write(position < _cursor ? $"\u001b[{_cursor - position}D" : $"\u001b[{position - _cursor}C");
        _cursor = position;
        screen.Flush();
    }

    private int WordStart()
    {
        int i = _cursor;
        while (i > 0 && char.IsWhiteSpace(_line[i - 1])) i--;
        while (i > 0 && !char.IsWhiteSpace(_line[i - 1])) i--;
        return i;
    }

    private int WordEnd()
    {
        int i = _cursor;
        while (i < _line.Length && char.IsWhiteSpace(_line[i])) i++;
        while (i < _line.Length && !char.IsWhiteSpace(_line[i])) i++;
        return i;
    }

    /// <summary>Writes the prompt and line again, clears what followed, and puts the cursor back.</summary>
    private void Redraw()
    {
        screen.Write($"\r\u001b[1;32m{_prompt}\u001b[0m{_line}\u001b[K");
        int back = _line.Length - _cursor;
        if (back > 0) screen.Write($"\u001b[{back}D");
        screen.Flush();
    }
}

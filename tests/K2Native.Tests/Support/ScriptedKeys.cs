// Keys for the line editor, as a test scripts them: bursts of keys, where every key of a burst but the last
// finds another waiting (KeyAvailable), as a paste does; text and named keys mix freely.
using K2Bench.Repl.Input;

namespace K2Native.Tests.Support;

internal sealed class ScriptedKeys : IKeySource
{
    private readonly Queue<(ConsoleKeyInfo Key, bool More)> _keys = new();

    public static ConsoleKeyInfo Enter => new('\r', ConsoleKey.Enter, false, false, false);

    public static ConsoleKeyInfo Ctrl(char letter) =>
        new(
            (char)(char.ToUpperInvariant(letter) - '@'), ConsoleKey.A + (char.ToUpperInvariant(letter) - 'A'), false,
            false, true);

    public static ConsoleKeyInfo Key(ConsoleKey key) => new('\0', key, false, false, false);

    /// <summary>Typed text: one burst per key ('\n' is Enter).</summary>
    public ScriptedKeys Type(string text)
    {
        foreach (char c in text) _keys.Enqueue((Of(c), false));
        return this;
    }

    /// <summary>Pasted text: one burst ('\n' is Enter).</summary>
    public ScriptedKeys Paste(string text)
    {
        for (int i = 0; i < text.Length; i++) _keys.Enqueue((Of(text[i]), i < text.Length - 1));
        return this;
    }

    public ScriptedKeys Press(params ConsoleKeyInfo[] keys)
    {
        foreach (var k in keys) _keys.Enqueue((k, false));
        return this;
    }

    public ScriptedKeys Press(params ConsoleKey[] keys) => Press(keys.Select(Key).ToArray());

    private bool _more;

    public ConsoleKeyInfo? ReadKey()
    {
        if (!_keys.TryDequeue(out var k)) return null;
        _more = k.More;
        return k.Key;
    }

    public bool KeyAvailable => _more;

    private static ConsoleKeyInfo Of(char c) => c switch
    {
        '\n' => Enter,
        >= 'a' and <= 'z' => new(c, ConsoleKey.A + (c - 'a'), false, false, false),
        >= 'A' and <= 'Z' => new(c, ConsoleKey.A + (c - 'A'), true, false, false),
        ' ' => new(c, ConsoleKey.Spacebar, false, false, false),
        _ => new(c, 0, false, false, false),
    };
}

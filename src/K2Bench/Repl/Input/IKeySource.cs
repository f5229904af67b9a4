// Where the line editor's keys come from: the terminal (Console.ReadKey without echo), or a script in tests.
namespace K2Bench.Repl.Input;

/// <summary>A source of key presses.</summary>
internal interface IKeySource
{
    /// <summary>The next key; null at the end of input.</summary>
    ConsoleKeyInfo? ReadKey();

    /// <summary>True when another key is already waiting: keys that arrive together are a paste, not typing.</summary>
    bool KeyAvailable { get; }
}

/// <summary>The terminal's keys; Ctrl+C arrives as a key (Console.TreatControlCAsInput) while the editor
/// reads.</summary>
internal sealed class TerminalKeySource : IKeySource
{
    public ConsoleKeyInfo? ReadKey()
    {
        bool treat = Console.TreatControlCAsInput;
        Console.TreatControlCAsInput = true;
        try
        {
            return Console.ReadKey(intercept: true);
        }
        finally
        {
            Console.TreatControlCAsInput = treat;
        }
    }

    public bool KeyAvailable => Console.KeyAvailable;
}

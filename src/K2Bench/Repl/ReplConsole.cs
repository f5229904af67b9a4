// The console `k2 chat` writes to: Spectre.Console's own on a terminal; on a pipe or file, plain text with no
// escape codes and no wrapping, so piped sessions (and tests) read exactly what was generated.
using Spectre.Console;

namespace K2Bench.Repl;

internal static class ReplConsole
{
    public static IAnsiConsole Create()
    {
        if (!Console.IsOutputRedirected)
        {
            Console.OutputEncoding = System.Text.Encoding.UTF8;
            return AnsiConsole.Console;
        }
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(Console.Out),
        });
        console.Profile.Width = int.MaxValue / 2;
        return console;
    }
}

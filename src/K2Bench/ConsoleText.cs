// UTF-8 text on stdout whatever the console's code page, without a byte-order mark, flushed by the caller.
using System.Text;

namespace K2Bench;

internal static class ConsoleText
{
    /// <summary>A UTF-8 writer over the process's standard output.</summary>
    public static TextWriter Stdout() =>
        new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false)) { AutoFlush = false };
}

// Makes `bench` appear in `k2 --help`; `k2 bench <target>` itself is dispatched in Program.cs.
using CommandLine;

namespace K2Bench.Verbs;

[Verb("bench", HelpText = "Benchmarks: `k2 bench <target> --help` (run `k2 bench --help` for the targets).")]
internal sealed class BenchHelpCommand : ICommand
{
    public int Run()
    {
        Console.Error.WriteLine("k2 bench: name a target; `k2 bench --help` lists them.");
        return 2;
    }
}

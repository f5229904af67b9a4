// `k2 compare-backends`: runs every op of a backend against the CPU backend on adversarial shapes (the library's
// Backends/Verification/BackendComparison.cs) and prints one line per case; exit status 1 when any case fails. With
// --graphs each case's launches are also recorded as a CUDA graph and replayed, and must give bit-identical outputs.
using CommandLine;
using K2Native.Backends.Verification;

namespace K2Bench.Verbs;

[Verb("compare-backends", HelpText = "Compare every op of a backend (cuda) with the CPU backend on adversarial shapes; "
    + "exit 1 on any failure.")]
internal sealed class CompareBackendsCommand : ICommand
{
    [Option("backend", Default = "cuda", HelpText = "Backend under test: cuda.")]
    public string Backend { get; set; } = "cuda";

    [Option("filter", Separator = '|', HelpText = "Run only the cases whose name contains this text (several texts "
        + "separated by |: any of them).")]
    public IEnumerable<string> Filter { get; set; } = [];

    [Option("graphs", HelpText = "Also record each case's launches as a CUDA graph, replay it, and require results "
        + "bit-identical to the eager launches.")]
    public bool Graphs { get; set; }

    public int Run()
    {
        if (!string.Equals(Backend, "cuda", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException(
                $"compare-backends: --backend {Backend}: only cuda is compared with the CPU backend");
        var filters = Filter.ToList();
        var cases = BackendComparison.Cases().Where(
            c => filters.Count == 0
                || filters.Any(f => c.Name.Contains(f, StringComparison.OrdinalIgnoreCase))).ToList();
        var graphs = Graphs ? new GraphCheck() : null;
        var results = BackendComparison.RunAll(
            cases, threshold => BackendFactory.CreateCuda(threshold), r => Console.WriteLine(r), graphs);
        int failed = results.Count(r => !r.Passed);
        Console.WriteLine($"{results.Count - failed} passed, {failed} failed");
        if (graphs is not null)
            Console.WriteLine(
                $"graphs: {graphs.Replayed} outputs replayed bit-identical to eager launches, {graphs.NotRecordable} "
                + "not recordable (the op downloads or synchronizes)");
        return failed == 0 ? 0 : 1;
    }
}

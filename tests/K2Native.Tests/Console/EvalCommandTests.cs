// `k2 eval demo` end to end on the bundled random-weight checkpoint given a demo_tools.json: it runs the tasks
// through the engine, reports a solved fraction (0 to 2 of 2: the weights are noise) and writes the JSON report;
// --min-solved above the fraction, bad task lines and a checkpoint without demo tools fail with a clear message.
using System.Text.Json.Nodes;
using K2Native.Tests.Support;

namespace K2Native.Tests.Console;

public sealed class EvalCommandTests : IDisposable
{
    private readonly DemoCheckpoint _checkpoint = new();

    public void Dispose() => _checkpoint.Dispose();

    private string TwoTasks()
    {
        string path = _checkpoint.File("tasks.jsonl");
        File.WriteAllLines(
            path, File.ReadLines(Path.Combine(DemoTestData.TestDataDirectory, "tasks-handmade.jsonl")).Take(2));
        return path;
    }

    [Fact]
    public void RunsTasksOnTheRandomCheckpointAndReports()
    {
        string json = _checkpoint.File("report.json");
        var r = K2Cli.Run(
            null, "eval", "demo", "--model", _checkpoint.Path, "--tasks", TwoTasks(), "--max-tokens", "24",
            "--max-rounds", "2", "--min-solved", "0", "--json", json, "--verbose");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("hand-001  ", r.Stdout);
        Assert.Contains("hand-002  ", r.Stdout);
        Assert.Matches(@"demo eval: [0-2]/2 solved \(", r.Stdout);
        Assert.Contains("in the reference", r.Stdout);
        Assert.Contains("tok/s · wall ", r.Stdout);

        var report = JsonNode.Parse(File.ReadAllText(json))!.AsObject();
        Assert.Equal(2, report["tasks"]!.GetValue<int>());
        Assert.Equal(2, report["reference_tool_calls"]!.GetValue<int>());
        Assert.InRange(report["solved"]!.GetValue<int>(), 0, 2);
        var results = report["results"]!.AsArray();
        Assert.Equal(["hand-001", "hand-002"], results.Select(t => t!["id"]!.GetValue<string>()));
        Assert.All(results, t => Assert.InRange(t!["generated_tokens"]!.GetValue<int>(), 1, 24 * 3));
    }

    [Fact]
    public void ASolvedFractionBelowTheMinimumFails()
    {
        var r = K2Cli.Run(
            null, "eval", "demo", "--model", _checkpoint.Path, "--tasks", TwoTasks(), "-n", "1", "--max-tokens", "4",
            "--min-solved", "1");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("demo eval: 0/1 solved", r.Stdout);
        Assert.Contains("is below --min-solved 1", r.Stderr);
    }

    [Fact]
    public void BadInputIsNamed()
    {
        string tasks = _checkpoint.File("bad.jsonl");
        File.WriteAllText(
            tasks,
            File.ReadLines(TwoTasks()).First()
                + "\n{\"id\": \"x\", \"today\": \"2026-13-01\", \"expected\": \"1\", \"messages\": []}\n");
        var bad = K2Cli.Run(null, "eval", "demo", "--model", _checkpoint.Path, "--tasks", tasks);
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains($"{tasks}:2: today: \"2026-13-01\" is not a date", bad.Stderr);

        var missing = K2Cli.Run(null, "eval", "demo", "--model", _checkpoint.Path);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("eval.jsonl: file not found", missing.Stderr);

        var noTools = K2Cli.Run(null, "eval", "demo", "--model", DemoTestData.BundledModel);
        Assert.Equal(1, noTools.ExitCode);
        Assert.Contains("has no demo_tools.json", noTools.Stderr);

        var suite = K2Cli.Run(null, "eval", "mmlu", "--model", _checkpoint.Path);
        Assert.Equal(1, suite.ExitCode);
        Assert.Contains("unknown suite 'mmlu'", suite.Stderr);
    }
}

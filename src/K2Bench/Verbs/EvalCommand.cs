// `k2 eval demo`: the demo model's tool-use evaluation. Reads the tasks (DIR/eval.jsonl by default), runs each
// through the real engine path greedily (DemoEvaluator over EngineAssistant: template, tokenizer, sampling, stream
// parser) with the checkpoint's demo tools, and prints the solved fraction, tool calls against the reference,
// tokens, speeds and wall time; --json writes the same per task. Exit code 1 when the fraction is below --min-solved.
using System.Globalization;
using System.Text.Json;
using CommandLine;
using K2Native.Applications.Eval;
using K2Native.Applications.Tools.Demo;
using K2Native.Runtime;

namespace K2Bench.Verbs;

[Verb("eval", HelpText = "Evaluate a model: `k2 eval demo --model DIR` runs the demo model's tool-use tasks "
    + "(DIR/eval.jsonl) greedily with its demo_tools.json and prints the solved fraction.")]
internal sealed class EvalCommand : EngineArguments, ICommand
{
    [Value(0, MetaName = "suite", Required = true, HelpText = "What to evaluate: demo (tasks of docs/demo-model.md, "
        + "scored by whether the final answer contains the expected text).")]
    public string Suite { get; set; } = "";

    [Option("tasks", HelpText = "Tasks JSONL file (default: eval.jsonl in the model directory).")]
    public string? Tasks { get; set; }

    [Option('n', "limit", HelpText = "Run only the first N tasks.")]
    public int? Limit { get; set; }

    [Option("max-tokens", Default = GenerationPreset.DefaultMaxTokens, HelpText = "Most tokens per assistant message.")]
    public int MaxTokens { get; set; }

    [Option("max-rounds", Default = 4, HelpText = "Most rounds of tool calls per task; a task still calling tools "
        + "after them is not solved.")]
    public int MaxRounds { get; set; }

    [Option("json", HelpText = "Write the summary and per-task results to this JSON file.")]
    public string? Json { get; set; }

    [Option(
        "min-solved", Default = 0.0, HelpText = "Exit with code 1 when the solved fraction is below this (0 to 1).")]
    public double MinSolved { get; set; }

    [Option(
        "verbose", HelpText = "Print one line per task (solved, ending, tool calls made/reference, tokens, answer).")]
    public bool Verbose { get; set; }

    public int Run()
    {
        if (!string.Equals(Suite, "demo", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"k2 eval: unknown suite '{Suite}' (known: demo)");
        if (Limit is < 1) throw new ArgumentException($"-n {Limit}: must be at least 1");
        if (MaxTokens < 1) throw new ArgumentException($"--max-tokens {MaxTokens}: must be at least 1");
        if (MaxRounds < 0) throw new ArgumentException($"--max-rounds {MaxRounds}: must be at least 0");
        if (!(MinSolved >= 0 && MinSolved <= 1))
            throw new ArgumentException($"--min-solved {MinSolved}: must be between 0 and 1");

        string directory = ModelPaths.Resolve(Model);
        string toolsFile = DemoToolSet.FindIn(directory)
            ?? throw new ArgumentException(
                $"{directory} has no {DemoToolSet.FileName}: `k2 eval demo` needs a demo checkpoint (exported by "
                + "tools/demo-model; see docs/demo-model.md)");
        var tools = DemoToolSet.Load(toolsFile);
        string tasksFile = Tasks ?? Path.Combine(directory, DemoTaskFile.DefaultName);
        var tasks = DemoTaskFile.Load(tasksFile);
        if (Limit is { } n) tasks = tasks.Take(n).ToArray();

        using var host = Open();
        var settings = new ChatSettings { Sampling = SamplingParams.Greedy, MaxTokens = MaxTokens };
        var evaluator = new DemoEvaluator(tools, new EngineAssistant(host.Engine, host.Template, settings))
        {
            MaxRounds = MaxRounds
        };
        var stdout = ConsoleText.Stdout();
        var summary = evaluator.RunAsync(tasks, result =>
        {
            if (!Verbose) return;
            stdout.WriteLine(TaskLine(result));
            stdout.Flush();
        }).GetAwaiter().GetResult();

        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"demo eval: {summary.Solved}/{summary.Results.Count} solved ({summary.SolvedFraction:F3}) · tool calls "
            + $"{summary.ToolCalls} made, {summary.ReferenceToolCalls} in the reference · " +
            $"{summary.Malformed} malformed outputs"));
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"tokens: prompt {summary.PromptTokens} ({summary.ReusedPromptTokens} reused), generated "
            + $"{summary.GeneratedTokens} · prefill {summary.PrefillTokensPerSecond:F0} tok/s, " +
            $"decode {summary.DecodeTokensPerSecond:F1} tok/s · wall {summary.WallTime.TotalSeconds:F2} s"));
        stdout.WriteLine(
            $"model {directory} ({host.Model.Backend.Name}, {host.Template.Format} format), tasks {tasksFile}, greedy, "
            + $"max tokens {MaxTokens}, max rounds {MaxRounds}");
        stdout.Flush();
        if (Json is not null) WriteJson(summary, directory, tasksFile);
        if (summary.SolvedFraction < MinSolved)
        {
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"k2 eval demo: solved fraction {summary.SolvedFraction:F3} is below --min-solved {MinSolved}"));
            return 1;
        }
        return 0;
    }

    private static string TaskLine(DemoTaskResult r)
    {
        string answer = r.Answer.ReplaceLineEndings(" ");
        if (answer.Length > 100) answer = answer[..100] + "…";
        return string.Create(CultureInfo.InvariantCulture,
            $"{r.Task.Id}  {(r.Solved ? "solved" : "failed")}  {DemoTaskResult.EndingName(r.Ending)}  calls "
            + $"{r.Totals.ToolCalls}/{r.Task.ReferenceToolCalls}  " +
            $"rounds {r.Totals.Rounds}  tokens {r.Totals.GeneratedTokens}  {r.WallTime.TotalSeconds:F2} s  expected "
            + $"\"{r.Task.Expected}\"  answer: {answer}");
    }

    private void WriteJson(DemoEvalSummary summary, string directory, string tasksFile)
    {
        var json = summary.ToJson();
        json.Insert(0, "model", directory);
        json.Insert(1, "tasks_file", tasksFile);
        json.Insert(2, "max_tokens", MaxTokens);
        json.Insert(3, "max_rounds", MaxRounds);
        File.WriteAllText(Json!, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }
}

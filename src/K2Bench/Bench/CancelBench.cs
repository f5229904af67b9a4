// `k2 bench cancel`: how long a cancelled generation (Ctrl+C in `k2 chat`, a client that disconnects from
// `k2 serve`) takes to stop. Each trial starts a generation on a fresh prompt, cancels it after a delay drawn
// across its prefill and its first decode steps, and times from the Cancel() call to the moment the engine has
// released the sequence (GenerateAsync throwing). The engine abandons a step between layers, so the bound to
// compare with is one layer of the largest prefill chunk: the table prints it beside the latencies.
using System.Diagnostics;
using CommandLine;
using K2Native.Runtime;
using static K2Bench.Bench.BenchText;

namespace K2Bench.Bench;

[Verb("cancel", HelpText = "Time from cancelling a generation (during prefill or decode) to its release, against one "
    + "layer's prefill time.")]
internal sealed class CancelBench : EngineArguments, IBenchCommand
{
    [Option("prompt-tokens", Default = 1024, HelpText = "Prompt length of each trial (long prompts make prefill the "
        + "slow phase).")]
    public int PromptTokens { get; set; }

    [Option("trials", Default = 24, HelpText = "Cancelled generations to time.")]
    public int Trials { get; set; }

    [Option("target-ms", Default = 200.0, HelpText = "The latency the console promises; trials above it are counted.")]
    public double TargetMs { get; set; }

    private const int DecodeTokens = 16;

    public int Run()
    {
        if (PromptTokens < 2 || Trials < 1 || TargetMs <= 0)
            throw new ArgumentException(
                "--prompt-tokens must be at least 2, --trials at least 1 and --target-ms positive");
        using var host = Open();
        int layers = host.Model.Config.NumHiddenLayers;
        int vocabulary = host.Tokenizer.RankCount;
        int[] Prompt(int trial) => Enumerable.Range(0, PromptTokens)
            .Select(i => (int)(((long)i * 2654435761L + (trial + 3) * 7919L + 17) % vocabulary)).ToArray();

        host.Engine.Generate(Request(Prompt(-1)[..Math.Min(8, PromptTokens)], 2));         // JIT warm-up
        var clock = Stopwatch.StartNew();
        var uncancelled = host.Engine.Generate(Request(Prompt(-2), DecodeTokens)).Result;
        double wholeSeconds = clock.Elapsed.TotalSeconds;
        double prefillSeconds = uncancelled.PrefillTime.TotalSeconds;
        double layerSeconds = prefillSeconds / layers;

        var random = new Random(20261206);
        var latencies = new List<(double Ms, bool InPrefill)>();
        int finishedFirst = 0;
        for (int trial = 0; trial < Trials; trial++)
        {
            double delay = random.NextDouble() * wholeSeconds;
            var latency = CancelAfter(host.Engine, Request(Prompt(trial), DecodeTokens), TimeSpan.FromSeconds(delay));
            if (latency is { } l) latencies.Add(l);
            else finishedFirst++;
        }
        if (latencies.Count == 0)
            throw new InvalidOperationException(
                "every generation finished before its cancel; use a longer --prompt-tokens");
        if (host.Engine.RunningSequences != 0 || host.Engine.WaitingSequences != 0)
            throw new InvalidOperationException(
                $"after the trials {host.Engine.RunningSequences} sequences still run and "
                + $"{host.Engine.WaitingSequences} wait");

        var o = Console.Out;
        o.WriteLine(Invariant($"cancel: {latencies.Count} trials ({finishedFirst} more finished before their cancel and are left out), {PromptTokens}-token prompts, {DecodeTokens} decode tokens, model {ModelPaths.Resolve(Model)} ({layers} layers)"));
        o.WriteLine(Invariant($"uncancelled: prefill {prefillSeconds * 1e3:F0} ms ({PromptTokens / prefillSeconds:F0} tok/s), prefill / layers {layerSeconds * 1e3:F1} ms; whole generation {wholeSeconds * 1e3:F0} ms"));
        o.WriteLine(Invariant($"{"cancelled during",-18}{"trials",8}{"p50 ms",10}{"p99 ms",10}{"max ms",10}{$"> {TargetMs:F0} ms",10}"));
        Row(o, "prefill", latencies.Where(l => l.InPrefill).Select(l => l.Ms).ToList());
        Row(o, "decode", latencies.Where(l => !l.InPrefill).Select(l => l.Ms).ToList());
        Row(o, "all", latencies.Select(l => l.Ms).ToList());
        double worst = latencies.Max(l => l.Ms);
        o.WriteLine(Invariant($"worst stop {worst:F1} ms = {worst / (layerSeconds * 1e3):F2} x (prefill / layers); target {TargetMs:F0} ms {(worst <= TargetMs ? "met" : "MISSED")}"));
        return 0;
    }

    private (double Ms, bool InPrefill)? CancelAfter(Engine engine, GenerationRequest request, TimeSpan delay)
    {
        using var cancel = new CancellationTokenSource();
        int tokens = 0;
        var run = Task.Run(async () =>
        {
            try
            {
                await foreach (var update in engine.GenerateAsync(request, cancel.Token).ConfigureAwait(false))
                    if (update.Result is null) Interlocked.Increment(ref tokens);
                return false;
            }
            catch (GenerationCancelledException)
            {
                return true;
            }
        });
        if (run.Wait(delay)) return null;                              // finished before the cancel
        bool inPrefill = Volatile.Read(ref tokens) == 0;
        var stop = Stopwatch.StartNew();
        cancel.Cancel();
        run.Wait();
        return (stop.Elapsed.TotalMilliseconds, inPrefill);
    }

    private void Row(TextWriter o, string name, List<double> ms)
    {
        if (ms.Count == 0)
        {
            o.WriteLine(Invariant($"{name,-18}{0,8}{"-",10}{"-",10}{"-",10}{"-",10}"));
            return;
        }
        ms.Sort();
        o.WriteLine(Invariant($"{name,-18}{ms.Count,8}{Percentile(ms, 0.5),10:F1}{Percentile(ms, 0.99),10:F1}{ms[^1],10:F1}{ms.Count(m => m > TargetMs),10}"));
    }

    private GenerationRequest Request(int[] prompt, int maxTokens) => new()
    {
        PromptTokens = prompt,
        Sampling = SamplingParams.Greedy,
        MaxTokens = maxTokens,
        StopTokenIds = [],
    };
}

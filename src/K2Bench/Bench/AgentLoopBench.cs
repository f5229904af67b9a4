// `k2 bench agent-loop`: what prefix reuse saves in a long tool loop. Each step's prompt is the previous
// prompt, the model's answer and a tool result, exactly as re-rendering the conversation would produce them;
// the loop runs once with the prefix cache and once without, and the figures are printed side by side.
using System.Diagnostics;
using System.Globalization;
using CommandLine;
using K2Native.Runtime;

namespace K2Bench.Bench;

[Verb("agent-loop", HelpText = "Time an N-step tool loop with and without prefix reuse (tokens computed, seconds, "
    + "speedup).")]
internal sealed class AgentLoopBench : EngineArguments, IBenchCommand
{
    [Option("steps", Default = 50, HelpText = "Tool-loop steps.")]
    public int Steps { get; set; }

    [Option("answer-tokens", Default = 8, HelpText = "Tokens the model generates per step (greedy).")]
    public int AnswerTokens { get; set; }

    [Option("system-tokens", Default = 400, HelpText = "Length of the shared system prompt and tool declarations, in "
        + "tokens.")]
    public int SystemTokens { get; set; }

    public int Run()
    {
        if (Steps < 1 || AnswerTokens < 1 || SystemTokens < 1)
            throw new ArgumentException("--steps, --answer-tokens and --system-tokens must be at least 1");
        var with = Loop(prefixCaching: true);
        var without = Loop(prefixCaching: false);
        if (!with.Answers.SequenceEqual(without.Answers, new SequenceComparer()))
            throw new InvalidOperationException("the loop generated different tokens with and without prefix reuse");
        var o = Console.Out;
        o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"agent loop: {Steps} steps, {AnswerTokens} generated tokens per step, {SystemTokens}-token system prompt, model {ModelPaths.Resolve(Model)}"));
        o.WriteLine(
            string.Create(
                CultureInfo.InvariantCulture, $"{"",-16}{"prompt tokens",16}{"computed",12}{"reused",12}{"seconds",10}"));
        Row(o, "with reuse", with);
        Row(o, "without reuse", without);
        o.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"reuse computes {(double)with.Computed / without.Computed:P1} of the prompt tokens and takes {with.Seconds / without.Seconds:P1} of the time ({without.Seconds / with.Seconds:F2}x faster); generated tokens are identical"));
        return 0;
    }

    private static void Row(TextWriter o, string name, LoopResult r) =>
        o.WriteLine(
            string.Create(
                CultureInfo.InvariantCulture,
                $"{name,-16}{r.PromptTokens,16}{r.Computed,12}{r.Reused,12}{r.Seconds,10:F2}"));

    private LoopResult Loop(bool prefixCaching)
    {
        var engineArgs = (EngineArguments)MemberwiseClone();
        engineArgs.NoPrefixCache = !prefixCaching;
        using var host = engineArgs.Open();
        var vocabulary = host.Tokenizer.RankCount;
        var prompt = Enumerable.Range(0, SystemTokens).Select(i => (i * 7919 + 13) % vocabulary).ToList();
        var answers = new List<int[]>();
        long promptTokens = 0;
        var clock = Stopwatch.StartNew();
        for (int step = 0; step < Steps; step++)
        {
            promptTokens += prompt.Count;
            var (ids, _, result) = host.Engine.Generate(new GenerationRequest
            {
                PromptTokens = prompt.ToArray(),
                Sampling = SamplingParams.Greedy,
                MaxTokens = AnswerTokens,
                StopTokenIds = [],
            });
            if (result.Reason is StopReason.ContextFull or StopReason.CacheFull)
                throw new InvalidOperationException(
                    $"step {step}: {Stats.Reason(result)}; use fewer --steps or a larger --kv-cache-mb / --context");
            answers.Add(ids);
            prompt.AddRange(ids);
            prompt.AddRange(
                host.Tokenizer.Encode(
                    $"<|im_end|><|im_system|>tool<|im_middle|>## Return of functions.lookup:{step}\n{{\"result\": "
                    + $"{step * 37 % 1000}}}<|im_end|><|im_assistant|>assistant<|im_middle|>"));
        }
        return new LoopResult(
            answers, promptTokens, host.Engine.ComputedPromptTokens, host.Engine.ReusedPromptTokens,
            clock.Elapsed.TotalSeconds);
    }

    private sealed record LoopResult(
        List<int[]> Answers, long PromptTokens, long Computed, long Reused, double Seconds);

    private sealed class SequenceComparer : IEqualityComparer<int[]>
    {
        public bool Equals(int[]? a, int[]? b) => a.AsSpan().SequenceEqual(b);

        public int GetHashCode(int[] a) => a.Length;
    }
}

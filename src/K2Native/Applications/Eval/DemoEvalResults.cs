// What an evaluation of the demo model found: per task (solved or not, how it ended, the answer, the tool calls it
// made against the reference's, tokens and times) and in total (solved fraction, speeds, wall time), with a JSON
// form for --json files.
using System.Text.Json.Nodes;
using K2Native.Text;

namespace K2Native.Applications.Eval;

/// <summary>How a task's conversation ended.</summary>
internal enum DemoEnding
{
    /// <summary>The assistant answered without calling tools.</summary>
    Answered,

    /// <summary>The last message hit the token limit (its text is still scored).</summary>
    MaxTokens,

    /// <summary>The conversation filled the context or the KV cache.</summary>
    ContextFull,

    /// <summary>The assistant still called tools after the last allowed round (never solved).</summary>
    RoundLimit,
}

/// <summary>The outcome of one task.</summary>
internal sealed record DemoTaskResult(
    DemoTask Task, bool Solved, DemoEnding Ending, string Answer, IReadOnlyList<ChatMessage> Conversation,
    DemoTaskResult.Counts Totals, TimeSpan WallTime)
{
    /// <summary>Figures summed over a task's replies.</summary>
    internal sealed class Counts
    {
        public int Replies { get; internal set; }

        /// <summary>Rounds of tool calls that were run.</summary>
        public int Rounds { get; internal set; }

        public int ToolCalls { get; internal set; }

        public long PromptTokens { get; internal set; }

        public long ReusedPromptTokens { get; internal set; }

        public long GeneratedTokens { get; internal set; }

        public TimeSpan PrefillTime { get; internal set; }

        public TimeSpan DecodeTime { get; internal set; }

        /// <summary>Stretches of output that did not follow the format (see MalformedOutput).</summary>
        public int Malformed { get; internal set; }

        internal void Add(AssistantReply reply)
        {
            Replies++;
            Malformed += reply.Problems?.Count ?? 0;
            if (reply.Generation is not { } g) return;
            PromptTokens += g.PromptTokens;
            ReusedPromptTokens += g.ReusedPromptTokens;
            GeneratedTokens += g.GeneratedTokens;
            PrefillTime += g.PrefillTime;
            DecodeTime += g.DecodeTime;
        }
    }

    public JsonObject ToJson() => new()
    {
        ["id"] = Task.Id,
        ["solved"] = Solved,
        ["ending"] = EndingName(Ending),
        ["expected"] = Task.Expected,
        ["answer"] = Answer,
        ["tool_calls"] = Totals.ToolCalls,
        ["reference_tool_calls"] = Task.ReferenceToolCalls,
        ["rounds"] = Totals.Rounds,
        ["prompt_tokens"] = Totals.PromptTokens,
        ["generated_tokens"] = Totals.GeneratedTokens,
        ["malformed"] = Totals.Malformed,
        ["wall_seconds"] = Math.Round(WallTime.TotalSeconds, 3),
    };

    public static string EndingName(DemoEnding ending) => ending switch
    {
        DemoEnding.Answered => "answered",
        DemoEnding.MaxTokens => "max tokens",
        DemoEnding.ContextFull => "context full",
        _ => "round limit",
    };
}

/// <summary>The outcome of a run.</summary>
internal sealed record DemoEvalSummary(IReadOnlyList<DemoTaskResult> Results, TimeSpan WallTime)
{
    public int Solved => Results.Count(r => r.Solved);

    /// <summary>Solved tasks over all tasks (0 when there were none).</summary>
    public double SolvedFraction => Results.Count == 0 ? 0 : (double)Solved / Results.Count;

    public int ToolCalls => Results.Sum(r => r.Totals.ToolCalls);

    public int ReferenceToolCalls => Results.Sum(r => r.Task.ReferenceToolCalls);

    public long PromptTokens => Results.Sum(r => r.Totals.PromptTokens);

    public long ReusedPromptTokens => Results.Sum(r => r.Totals.ReusedPromptTokens);

    public long GeneratedTokens => Results.Sum(r => r.Totals.GeneratedTokens);

    public int Malformed => Results.Sum(r => r.Totals.Malformed);

    /// <summary>Generated tokens per second of decoding (the first token of each reply, made by prefill, not
    /// counted).</summary>
    public double DecodeTokensPerSecond
    {
        get
        {
            double seconds = Results.Sum(r => r.Totals.DecodeTime.TotalSeconds);
            long tokens = Results.Sum(r => Math.Max(0, r.Totals.GeneratedTokens - r.Totals.Replies));
            return seconds > 0 ? tokens / seconds : 0;
        }
    }

    /// <summary>Prompt tokens computed (not reused) per second of prefill.</summary>
    public double PrefillTokensPerSecond
    {
        get
        {
            double seconds = Results.Sum(r => r.Totals.PrefillTime.TotalSeconds);
            return seconds > 0 ? (PromptTokens - ReusedPromptTokens) / seconds : 0;
        }
    }

    public JsonObject ToJson() => new()
    {
        ["tasks"] = Results.Count,
        ["solved"] = Solved,
        ["solved_fraction"] = SolvedFraction,
        ["tool_calls"] = ToolCalls,
        ["reference_tool_calls"] = ReferenceToolCalls,
        ["prompt_tokens"] = PromptTokens,
        ["reused_prompt_tokens"] = ReusedPromptTokens,
        ["generated_tokens"] = GeneratedTokens,
        ["malformed"] = Malformed,
        ["prefill_tokens_per_second"] = Math.Round(PrefillTokensPerSecond, 1),
        ["decode_tokens_per_second"] = Math.Round(DecodeTokensPerSecond, 1),
        ["wall_seconds"] = Math.Round(WallTime.TotalSeconds, 3),
        ["results"] = new JsonArray(Results.Select(r => (JsonNode)r.ToJson()).ToArray()),
    };
}

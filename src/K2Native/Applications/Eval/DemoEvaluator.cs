// The demo model's evaluation loop, independent of the console: for each task, give the assistant source the
// task's prompt with the demo tools declared; while its message calls tools (and rounds remain), run the calls
// with the demo tools (current_date returning the task's date), append the results, and ask again. The task is
// solved when the assistant ends with a message without tool calls whose content contains the expected text.
using System.Diagnostics;
using K2Native.Applications.Tools;
using K2Native.Applications.Tools.Demo;
using K2Native.Text;

namespace K2Native.Applications.Eval;

/// <summary>Runs demo tasks against an assistant source.</summary>
internal sealed class DemoEvaluator(DemoToolSet tools, IAssistantSource assistant)
{
    /// <summary>Most tool rounds per task: after this many rounds of calls, the next message is not answered.</summary>
    public int MaxRounds { get; init; } = 4;

    /// <summary>Runs the tasks in order; <paramref name="onResult"/> sees each result as soon as it is known.</summary>
    public async Task<DemoEvalSummary> RunAsync(
        IEnumerable<DemoTask> tasks, Action<DemoTaskResult>? onResult = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(MaxRounds);
        var clock = Stopwatch.StartNew();
        var results = new List<DemoTaskResult>();
        foreach (var task in tasks)
        {
            var result = await RunTaskAsync(task, cancellationToken).ConfigureAwait(false);
            results.Add(result);
            onResult?.Invoke(result);
        }
        return new DemoEvalSummary(results, clock.Elapsed);
    }

    /// <summary>Runs one task.</summary>
    public async Task<DemoTaskResult> RunTaskAsync(DemoTask task, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        var declarations = tools.Declarations();
        var byName = tools.CreateTools(task.Today).ToDictionary(t => t.Name, StringComparer.Ordinal);
        var conversation = task.Prompt.ToList();
        var stats = new DemoTaskResult.Counts();
        DemoEnding ending;
        while (true)
        {
            var reply = await assistant.ReplyAsync(conversation, declarations, cancellationToken).ConfigureAwait(false);
            stats.Add(reply);
            conversation.Add(reply.Message);
            if (!reply.Message.HasToolCalls)
            {
                ending = reply.Generation?.Reason switch
                {
                    Runtime.StopReason.MaxTokens => DemoEnding.MaxTokens,
                    Runtime.StopReason.ContextFull or Runtime.StopReason.CacheFull => DemoEnding.ContextFull,
                    _ => DemoEnding.Answered,
                };
                break;
            }
            if (stats.Rounds == MaxRounds)
            {
                ending = DemoEnding.RoundLimit;
                break;
            }
            stats.Rounds++;
            foreach (var call in reply.Message.ToolCalls!)
            {
                stats.ToolCalls++;
                conversation.Add(ChatMessage.Tool(call.Id, Run(byName, call), call.Function.Name));
            }
        }
        string answer = conversation[^1].Content?.PlainText ?? "";
        bool solved = ending != DemoEnding.RoundLimit && answer.Contains(task.Expected, StringComparison.Ordinal);
        return new DemoTaskResult(task, solved, ending, answer, conversation, stats, clock.Elapsed);
    }

    private static string Run(Dictionary<string, BuiltinTool> byName, ToolCall call) =>
        byName.TryGetValue(call.Function.Name, out var tool)
            ? tool.Invoke(call.Function.Arguments.ToPromptText())
            : $"error: unknown tool '{call.Function.Name}' (the tools are {string.Join(", ", byName.Keys)})";
}

// The evaluation loop's rules with scripted assistants: tool results go back into the conversation, calls to
// unknown tools get an error result, a task still calling tools after the last round is not solved, and a
// conversation too long for the engine's context ends the task instead of the run.
using System.Text.Json.Nodes;
using K2Native.Applications.Eval;
using K2Native.Backends.Cpu;
using K2Native.Runtime;
using K2Native.Tests.Support;
using K2Native.Text;

namespace K2Native.Tests.Applications.Eval;

public sealed class DemoEvaluatorTests
{
    private static readonly DemoTask DayTask = new()
    {
        Id = "t",
        Today = new DateOnly(2026, 11, 23),
        Expected = "Monday",
        Messages = [ChatMessage.User("What day is it?"), ChatMessage.Assistant("It is Monday.")],
    };

    private static ChatMessage Calls(params (string Name, string Arguments)[] calls) =>
        ChatMessage.Assistant(
            "", "thinking",
            calls.Select((c, i) => ToolCall.Create($"functions.{c.Name}:{i}", c.Name, c.Arguments)).ToArray());

    [Fact]
    public async Task ToolResultsGoBackAndTheAnswerIsScored()
    {
        var script = new Scripted(
            Calls(("current_date", "{}"), ("weather", "{}")), ChatMessage.Assistant("Today is Monday."));
        var result = await new DemoEvaluator(DemoTestData.Load(), script).RunTaskAsync(DayTask);
        Assert.True(result.Solved);
        Assert.Equal(DemoEnding.Answered, result.Ending);
        Assert.Equal((1, 2, 2), (result.Totals.Rounds, result.Totals.ToolCalls, result.Totals.Replies));
        var tools = result.Conversation.Where(m => m.Role == "tool").ToArray();
        Assert.Equal("2026-11-23 (Monday)", tools[0].Content!.PlainText);
        Assert.Equal(("functions.current_date:0", "current_date"), (tools[0].ToolCallId, tools[0].Name));
        Assert.StartsWith("error: unknown tool 'weather'", tools[1].Content!.PlainText, StringComparison.Ordinal);
        Assert.Equal(4, script.Seen[1].Count);
    }

    [Fact]
    public async Task StillCallingToolsAfterTheLastRoundIsNotSolved()
    {
        var call = Calls(("calculator", "{\"expression\": \"1\"}")) with { Content = "Monday" };
        var script = new Scripted(call, call, call);
        var result = await new DemoEvaluator(DemoTestData.Load(), script) { MaxRounds = 2 }.RunTaskAsync(DayTask);
        Assert.False(result.Solved);
        Assert.Equal(DemoEnding.RoundLimit, result.Ending);
        Assert.Equal((2, 3), (result.Totals.Rounds, result.Totals.Replies));
    }

    [Fact]
    public async Task AConversationLongerThanTheContextEndsTheTask()
    {
        using var host = ModelHost.Open(
            DemoTestData.BundledModel, new CpuBackend(), new EngineOptions { ContextLength = 64 });
        var assistant = new EngineAssistant(
            host.Engine, host.Template, new ChatSettings { Sampling = SamplingParams.Greedy, MaxTokens = 4 });
        var summary = await new DemoEvaluator(DemoTestData.Load(), assistant).RunAsync(
            [DayTask, DayTask with { Id = "u" }]);
        Assert.Equal(2, summary.Results.Count);
        Assert.All(summary.Results, r => Assert.Equal(DemoEnding.ContextFull, r.Ending));
        Assert.Equal(0, summary.SolvedFraction);
        Assert.Equal(0, summary.GeneratedTokens);
    }

    private sealed class Scripted(params ChatMessage[] replies) : IAssistantSource
    {
        private int _next;

        public List<IReadOnlyList<ChatMessage>> Seen { get; } = [];

        public Task<AssistantReply> ReplyAsync(
            IReadOnlyList<ChatMessage> messages, JsonArray tools, CancellationToken cancellationToken)
        {
            Assert.Equal(4, tools.Count);
            Seen.Add(messages.ToArray());
            return Task.FromResult(new AssistantReply(replies[_next++]));
        }
    }
}

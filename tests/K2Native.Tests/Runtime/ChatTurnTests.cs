// ChatTurn, the library's streaming chat API: it renders with the template, generates, and yields the parser's
// events; the folded message and the figures are there at the end; cancellation throws and keeps the partial answer.
using K2Native.Backends.Cpu;
using K2Native.Runtime;
using K2Native.Tests.Support;
using K2Native.Text;

namespace K2Native.Tests.Runtime;

public sealed class ChatTurnTests
{
    private static readonly string Bundled = Path.Combine(SharedFixtures.RepositoryRoot, "models", "tiny-random");

    [Fact]
    public async Task StreamsParsedEventsAndFoldsTheAnswer()
    {
        using var host = ModelHost.Open(Bundled, new CpuBackend());
        var turn = new ChatTurn(host.Engine, host.Template, [ChatMessage.User("hello")], null,
            new ChatSettings { Sampling = SamplingParams.Greedy, MaxTokens = 16 });
        Assert.EndsWith(ChatTemplate.GenerationPrompt, turn.Prompt, StringComparison.Ordinal);
        var events = new List<OutputEvent>();
        await foreach (var e in turn.StreamAsync()) events.Add(e);

        Assert.IsType<Finished>(events[^1]);
        Assert.Equal(FinishReason.Length, ((Finished)events[^1]).Reason);
        Assert.Equal(StopReason.MaxTokens, turn.Result!.Reason);
        Assert.Equal(16, turn.Result.GeneratedTokens);
        var folded = new AssistantMessageBuilder();
        folded.Apply(events);
        Assert.Equal(folded.ToMessage(), turn.Message);
    }

    [Fact]
    public async Task CancellationThrowsAndKeepsThePartialAnswer()
    {
        using var host = ModelHost.Open(Bundled, new CpuBackend());
        var turn = new ChatTurn(host.Engine, host.Template, [ChatMessage.User("hello")], null,
            new ChatSettings { Sampling = SamplingParams.Greedy, MaxTokens = 10_000 });
        using var cts = new CancellationTokenSource();
        int seen = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var e in turn.StreamAsync(cts.Token))
                if (e is ReasoningDelta or ContentDelta && ++seen == 3) cts.Cancel();
        });
        Assert.Null(turn.Message);
        var partial = turn.PartialMessage;
        Assert.False(
            string.IsNullOrEmpty(partial.ReasoningContent) && string.IsNullOrEmpty(partial.Content?.PlainText));
        Assert.Equal(0, host.Engine.Pool.InUse);
    }
}

// The `k2 chat` REPL driven through its input abstraction (scripted keys into the line editor) on the bundled
// checkpoint: Ctrl+C at the prompt and during a turn (prefill and decode), the autosaved conversation, an
// overlong message, trimming of old turns when the context fills, a pasted block as one message.
using System.Diagnostics;
using K2Bench.Repl;
using K2Bench.Repl.Input;
using K2Native.Backends.Cpu;
using K2Native.Runtime;
using K2Native.Tests.Support;
using K2Native.Text;
using Spectre.Console;

namespace K2Native.Tests.Console;

public sealed class ChatReplTests : IDisposable
{
    private static readonly string Bundled = Path.Combine(SharedFixtures.RepositoryRoot, "models", "tiny-random");

    private readonly TempDirectory _dir = new();
    private readonly StringWriter _screen = new();

    public void Dispose() => _dir.Dispose();

    private sealed class Session : IDisposable
    {
        public required ModelHost Host { get; init; }
        public required ReplState State { get; init; }
        public required ChatRepl Repl { get; init; }
        public required StringWriter Output { get; init; }

        public void Dispose() => Host.Dispose();
    }

    private Session Start(
        ScriptedKeys keys, EngineOptions? options = null, int maxTokens = 4,
        Func<IPrefillProgress?>? progress = null, string? autosave = null)
    {
        var host = ModelHost.Open(Bundled, new CpuBackend(), options);
        var text = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(text),
        });
        console.Profile.Width = int.MaxValue / 2;
        var state = new ReplState { Sampling = SamplingParams.Greedy, MaxTokens = maxTokens };
        var input = new EditorInput(new LineEditor(keys, _screen, new InputHistory()));
        var repl = new ChatRepl(host, state, new ReplOutput(console), input, progress) { AutosaveFile = autosave };
        return new Session { Host = host, State = state, Repl = repl, Output = text };
    }

    /// <summary>Calls Ctrl+C on the REPL at the first prefill report and notes when.</summary>
    private sealed class InterruptAtPrefill(Func<ChatRepl> repl) : IPrefillProgress
    {
        public Stopwatch? Since { get; private set; }

        public int Done { get; private set; }

        public int Total { get; private set; }

        public void Progress(int done, int total)
        {
            if (Since is not null) return;
            (Done, Total) = (done, total);
            Since = Stopwatch.StartNew();
            Assert.True(repl().Interrupt());
        }

        public void Stop()
        {
        }

        public void Dispose()
        {
        }
    }

    [Fact]
    public void CtrlCAtThePromptClearsTheLineAndASecondOnAnEmptyLineLeavesAfterSaving()
    {
        string autosave = Path.Combine(_dir.Path, "conversations", "chat.json");
        var keys = new ScriptedKeys()
            .Type("hello\n")
            .Type("typed but cleared").Press(ScriptedKeys.Ctrl('c'))
            .Press(ScriptedKeys.Ctrl('c'))
            .Press(ScriptedKeys.Ctrl('c'))
            .Type("never sent\n");
        using var s = Start(keys, autosave: autosave);
        Assert.Equal(0, s.Repl.Run());
        string output = s.Output.ToString();
        Assert.Equal(1, s.State.Turns);
        Assert.Contains("(Ctrl+C again, Ctrl+D or /quit leaves)", output);
        Assert.Contains($"[conversation saved to {autosave}", output);
        var saved = Conversation.Load(autosave);
        Assert.Equal(["user", "assistant"], saved.Messages.Select(m => m.Role));
        Assert.Equal("hello", saved.Messages[0].Content!.PlainText);
    }

    [Fact]
    public void CtrlCDuringPrefillStopsTheTurnAndKeepsTheSession()
    {
        InterruptAtPrefill? watcher = null;
        string longMessage = string.Join(' ', Enumerable.Repeat("the quick brown fox jumps over the lazy dog", 120));
        var keys = new ScriptedKeys().Paste(longMessage + "\n").Type("/set max_tokens 3\nshort\n/stats\n");
        Session? session = null;
        using var s = session = Start(keys, new EngineOptions { MaxStepTokens = 64 }, maxTokens: 64,
            progress: () => watcher ??= new InterruptAtPrefill(() => session!.Repl));
        Assert.Equal(0, s.Repl.Run());
        string output = s.Output.ToString();
        Assert.NotNull(watcher?.Since);
        Assert.True(
            watcher!.Done < watcher.Total,
            $"the first report came after the whole prompt ({watcher.Done} of {watcher.Total})");
        Assert.Contains("[stopped]\n[stopped · prompt ", output);
        Assert.Contains("no token after", output);
        Assert.Contains("turns 2 (1 stopped with Ctrl+C)", output);
        Assert.Equal(["user", "user", "assistant"], s.State.Messages.Select(m => m.Role));
        Assert.Equal(0, s.Host.Engine.Pool.InUse);
    }

    [Fact]
    public void CtrlCDuringDecodeKeepsThePartialAnswer()
    {
        Session? session = null;
        var keys = new ScriptedKeys().Type("tell me a long story\n");
        using var s = session = Start(keys, maxTokens: 3000);
        var stopper = new Thread(() =>
        {
            while (!session.Output.ToString().Contains("thinking: ", StringComparison.Ordinal)) Thread.Sleep(5);
            session.Repl.Interrupt();
        });
        stopper.Start();
        Assert.Equal(0, s.Repl.Run());
        stopper.Join();
        string output = s.Output.ToString();
        Assert.Contains("[stopped]\n[stopped · prompt ", output);
        Assert.Equal(["user", "assistant"], s.State.Messages.Select(m => m.Role));
        Assert.Equal(1, s.State.StoppedTurns);
        Assert.True(s.State.GeneratedTokens is > 0 and < 3000, $"{s.State.GeneratedTokens} tokens");
    }

    [Fact]
    public void AnOverlongMessageIsRefusedWithTokenCountsAndTheSessionGoesOn()
    {
        string longMessage = string.Join(' ', Enumerable.Repeat("far too long", 60));
        var keys = new ScriptedKeys().Paste(longMessage + "\n").Type("hi\n");
        using var s = Start(keys, new EngineOptions { ContextLength = 96 }, maxTokens: 8);
        Assert.Equal(0, s.Repl.Run());
        string output = s.Output.ToString();
        Assert.Matches(@"not sent: the message takes \d+ tokens, but \d+ fit: the context of 96 tokens, minus max_tokens 8", output);
        Assert.Equal(1, s.State.Turns);
        Assert.Equal(["user", "assistant"], s.State.Messages.Select(m => m.Role));
        Assert.Equal("hi", s.State.Messages[0].Content!.PlainText);
    }

    [Fact]
    public void AFullContextDropsTheOldestWholeTurnsButKeepsTheSystemPromptAndTools()
    {
        var keys = new ScriptedKeys();
        for (int i = 0; i < 10; i++) keys.Type($"message number {i} with some words in it\n");
        using var s = Start(keys, new EngineOptions { ContextLength = 480 }, maxTokens: 8);
        s.State.SystemPrompt = "Be brief.";
        s.State.Builtins["calculator"] = new K2Native.Applications.Tools.CalculatorTool();
        Assert.Equal(0, s.Repl.Run());
        string output = s.Output.ToString();
        Assert.Matches(@"\[context: dropped the oldest \d+ turns? \(\d+ messages?, \d+ tokens\)", output);
        Assert.Equal(10, s.State.Turns);
        Assert.Equal("user", s.State.Messages[0].Role);
        Assert.Equal("message number 9 with some words in it", s.State.Messages[^2].Content!.PlainText);
        Assert.True(s.State.Messages.Count < 20);
        Assert.Equal("system", s.State.Conversation()[0].Role);
        Assert.NotNull(s.State.Tools());
        Assert.DoesNotContain("context full", output);
    }

    [Fact]
    public void APastedBlockIsOneTurn()
    {
        var keys = new ScriptedKeys().Paste("first line\nsecond line\nthird line\n");
        using var s = Start(keys);
        Assert.Equal(0, s.Repl.Run());
        Assert.Equal(1, s.State.Turns);
        Assert.Equal("first line\nsecond line\nthird line", s.State.Messages[0].Content!.PlainText);
    }
}

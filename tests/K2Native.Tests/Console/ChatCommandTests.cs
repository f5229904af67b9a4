// `k2 chat` driven through piped stdin, end to end on the bundled checkpoint: answers stream, slash commands
// change the session, a conversation saved with /save loads back, bad commands are reported without leaving.
using K2Native.Tests.Support;
using K2Native.Text;

namespace K2Native.Tests.Console;

public sealed class ChatCommandTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void PipedSessionRunsCommandsAndTurns()
    {
        string saved = _dir.File("conversation.json");
        var r = K2Cli.Run($"""
            /set temperature 0
            hello there
            /system You are terse.
            /tools builtin
            second question
            /save {saved}
            /stats
            /bogus
            /reasoning off
            third
            /quit
            this line is never read
            """, "chat", "--model", K2Cli.RandomModel, "--max-tokens", "8");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("you> hello there", r.Stdout);
        Assert.Contains("[greedy, max_tokens 8", r.Stdout);
        Assert.Contains("[tools: calculator (built-in), current_time (built-in)]", r.Stdout);
        Assert.Contains("unknown command /bogus", r.Stdout);
        Assert.Contains("[reasoning hidden]", r.Stdout);
        Assert.Equal(3, CountOf(r.Stdout, "[max tokens · prompt"));
        Assert.Contains("reused from the prefix cache", r.Stdout);
        Assert.DoesNotContain("never read", r.Stdout);

        var conversation = Conversation.Load(saved);
        Assert.Equal(["system", "user", "assistant", "user", "assistant"], conversation.Messages.Select(m => m.Role));
        Assert.Equal("You are terse.", conversation.Messages[0].Content!.PlainText);
        Assert.Equal("second question", conversation.Messages[3].Content!.PlainText);
    }

    [Fact]
    public void SavedConversationLoadsBackAndContinues()
    {
        string first = _dir.File("first.json"), second = _dir.File("second.json");
        var a = K2Cli.Run($"/set seed 4\nhi\n/save {first}\n", "chat", "--max-tokens", "6");
        Assert.True(a.ExitCode == 0, a.Stderr);
        var b = K2Cli.Run($"/save {second}\nnext\n", "chat", "--max-tokens", "6", "--load", first);
        Assert.True(b.ExitCode == 0, b.Stderr);
        Assert.Contains("[loaded 2 messages", b.Stdout);
        Assert.Equal(File.ReadAllText(first), File.ReadAllText(second));
    }

    [Fact]
    public void SecondTurnReusesTheFirstTurnsPrefix()
    {
        var r = K2Cli.Run(
            "/set temperature 0\nfirst message\nsecond message\n/stats\n", "chat", "--max-tokens", "4", "--block-size",
            "4");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var prompts = r.Stdout.Split('\n')
            .Where(l => l.StartsWith("[max tokens · prompt", StringComparison.Ordinal))
            .ToArray();
        Assert.Equal(2, prompts.Length);
        Assert.Contains(" 0 reused", prompts[0]);
        Assert.DoesNotContain(" 0 reused", prompts[1]);
    }

    [Fact]
    public void BadArgumentsAreReportedAndTheSessionGoesOn()
    {
        var r = K2Cli.Run("/set top_p 7\n/load /no/such/file.json\n/tools /no/such/tools.json\n/set\n", "chat");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("/set: top_p 7 must be in (0, 1]", r.Stdout);
        Assert.Contains("/load:", r.Stdout);
        Assert.Contains("/tools: /no/such/tools.json: file not found", r.Stdout);
        Assert.Contains("[temperature 1, top_k 0, top_p 1, min_p 0.01", r.Stdout);
    }

    [Fact]
    public void ASamplingOptionAlone_KeepsThePresetsOtherValues()
    {
        var r = K2Cli.Run("/set\n", "chat", "--temperature", "0.5", "--max-tokens", "4");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("[temperature 0.5, top_k 0, top_p 1, min_p 0.01", r.Stdout);
        Assert.Contains("max_tokens 4,", r.Stdout);
    }

    [Fact]
    public void ToolsOption_NamesAFileEvenWhenItSpellsASlashCommandWord()
    {
        // --tools is a file: it is not turned into "/tools builtin" and parsed again.
        var r = K2Cli.Run("", "chat", "--tools", "builtin");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("--tools builtin: file not found", r.Stderr);
    }

    private static int CountOf(string text, string part)
    {
        int n = 0;
        for (int i = text.IndexOf(part, StringComparison.Ordinal);
             i >= 0;
             i = text.IndexOf(part, i + 1, StringComparison.Ordinal))
            n++;
        return n;
    }
}

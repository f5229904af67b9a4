// `k2 chat` on a checkpoint with demo_tools.json: the four demo tools are declared from the start (in the file's
// order, marked built-in), so the prompt is exactly the template's rendering with the file's tool list; /tools off
// removes them and /tools demo brings them back; --no-demo-tools leaves them out.
using System.Text.Json.Nodes;
using K2Native.Applications.Tools.Demo;
using K2Native.Tests.Support;
using K2Native.Text;

namespace K2Native.Tests.Console;

public sealed class DemoChatTests : IDisposable
{
    private const string ToolList = "[tools: calculator (built-in), convert_units (built-in), current_date (built-in), "
        + "lookup (built-in)]";

    private readonly DemoCheckpoint _checkpoint = new();

    public void Dispose() => _checkpoint.Dispose();

    private static int PromptTokens(JsonArray? tools) =>
        Tokenizer.Load(DemoTestData.BundledModel).Encode(
            ChatTemplate.Thinking.Render([ChatMessage.User("hello")], tools, addGenerationPrompt: true)).Length;

    [Fact]
    public void DemoToolsAreDeclaredInThePrompt()
    {
        var r = K2Cli.Run(
            "/set temperature 0\nhello\n/tools off\n/reset\nhello\n/tools demo\n", "chat", "--model", _checkpoint.Path,
            "--max-tokens", "4");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains(
            "[demo tools from demo_tools.json: calculator, convert_units, current_date, lookup; they run here, "
            + "built-in",
            r.Stdout);
        Assert.Equal(2, r.Stdout.Split(ToolList).Length - 1);
        Assert.Contains("[no tools]", r.Stdout);
        int withTools = PromptTokens(DemoTestData.Load().Declarations());
        int without = PromptTokens(null);
        var prompts = r.Stdout.Split('\n').Where(l => l.Contains(" · prompt ", StringComparison.Ordinal)).ToArray();
        Assert.Equal(2, prompts.Length);
        Assert.Contains($" · prompt {withTools} tokens,", prompts[0]);
        Assert.Contains($" · prompt {without} tokens,", prompts[1]);
    }

    [Fact]
    public void NoDemoToolsLeavesThemOutAndOtherCheckpointsHaveNone()
    {
        var r = K2Cli.Run("/tools\n/tools demo\n", "chat", "--model", _checkpoint.Path, "--no-demo-tools");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.DoesNotContain("[demo tools from", r.Stdout);
        Assert.Contains("[no tools]", r.Stdout);
        Assert.Contains(ToolList, r.Stdout);

        var random = K2Cli.Run("/tools demo\n", "chat", "--model", K2Cli.RandomModel);
        Assert.True(random.ExitCode == 0, random.Stderr);
        Assert.Contains($"has no {DemoToolSet.FileName}", random.Stdout);
        Assert.DoesNotContain("[demo tools from", random.Stdout);
    }

    [Fact]
    public void TheBundledDefaultIsTheDemoModelWithItsTools()
    {
        var r = K2Cli.Run("/tools\n", "chat");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("models/k2-demo", r.Stdout);
        Assert.Contains("[demo tools from demo_tools.json: calculator, convert_units, current_date, lookup", r.Stdout);
    }
}

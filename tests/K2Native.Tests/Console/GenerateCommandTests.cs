// `k2 generate` as a user runs it: greedy ids of the fixture against transformers', streamed text, errors.
using System.Text.Json;
using System.Text.RegularExpressions;
using K2Native.Tests.Support;

namespace K2Native.Tests.Console;

public sealed class GenerateCommandTests
{
    [SharedFact]
    public void GreedyPrintIdsReproducesTransformers()
    {
        using var doc = JsonDocument.Parse(
            File.ReadAllText(Path.Combine(SharedFixtures.TinyK2, "reference", "greedy.json")));
        foreach (var item in doc.RootElement.EnumerateArray())
        {
            var prompt = item.GetProperty("prompt").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            var expected = item.GetProperty("greedy").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            var margins = item.GetProperty("margins").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            var r = K2Cli.Run(null, "generate", "--model", SharedFixtures.TinyK2, "--tokens", string.Join(' ', prompt),
                "--temperature", "0", "--max-tokens", expected.Length.ToString(
                    System.Globalization.CultureInfo.InvariantCulture), "--print-ids");
            Assert.True(r.ExitCode == 0, r.Stderr);
            var ids = r.Stdout.Trim().Split(' ').Select(int.Parse).ToArray();
            int trusted = Array.FindIndex(margins, m => m < 1e-3);
            if (trusted < 0) trusted = expected.Length;
            Assert.Equal(expected[..trusted], ids[..trusted]);
        }
    }

    [Fact]
    public void RawPromptStreamsTextOnTheBundledModel()
    {
        var r = K2Cli.Run(null, "generate", "--prompt", "hello there", "--max-tokens", "12", "--seed", "3");
        Assert.True(r.ExitCode == 0, r.Stderr);
        // How many tokens come before the model ends the sequence depends on the bundled weights; the figures line
        // must say how many and why it stopped, and never more than --max-tokens.
        const string Figures = @"^\[(end of sequence|max tokens)\] prompt 3 tokens .*; generated (\d+) tokens,";
        var figures = Regex.Match(r.Stderr, Figures, RegexOptions.Multiline);
        Assert.True(figures.Success, r.Stderr);
        int generated = int.Parse(figures.Groups[2].Value);
        Assert.InRange(generated, 1, 12);
        if (figures.Groups[1].Value == "max tokens") Assert.Equal(12, generated);
        Assert.False(string.IsNullOrEmpty(r.Stdout));
        var again = K2Cli.Run(null, "generate", "--prompt", "hello there", "--max-tokens", "12", "--seed", "3");
        Assert.Equal(r.Stdout, again.Stdout);
    }

    [Theory]
    [InlineData("--tokens", "1 2 999999", "outside the vocabulary")]
    [InlineData("--tokens", "1 x", "not a token id")]
    [InlineData("--top-p", "0", "top_p")]
    public void BadOptionsExitWithAClearMessage(string option, string value, string expected)
    {
        var args = option == "--tokens"
            ? new[] { "generate", option, value }
            : new[] { "generate", "--tokens", "1 2", option, value };
        var r = K2Cli.Run(null, args);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains(expected, r.Stderr);
    }

    [Fact]
    public void ChatJsonHasContentReasoningToolCallsAndFigures()
    {
        var r = K2Cli.Run(
            null, "generate", "--prompt", "hi", "--chat", "--system", "Be brief.", "--json", "--max-tokens", "6",
            "--seed", "1");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var doc = JsonDocument.Parse(r.Stdout);
        var root = doc.RootElement;
        foreach (var key in new[]
        {
            "content",
            "reasoning",
            "tool_calls",
            "finish_reason",
            "prompt_tokens",
            "generated_tokens",
            "time_to_first_token_s",
            "decode_tokens_per_s"
        })
            Assert.True(root.TryGetProperty(key, out _), key);
        Assert.Equal(6, root.GetProperty("generated_tokens").GetInt32());
    }

    [Fact]
    public void ChatAnswerOnlyOnStdoutReasoningOnlyWithShowReasoning()
    {
        var hidden = K2Cli.Run(null, "generate", "--prompt", "hi", "--chat", "--max-tokens", "12", "--seed", "2");
        var json = K2Cli.Run(
            null, "generate", "--prompt", "hi", "--chat", "--max-tokens", "12", "--seed", "2", "--json");
        var shown = K2Cli.Run(
            null, "generate", "--prompt", "hi", "--chat", "--max-tokens", "12", "--seed", "2", "--show-reasoning");
        using var doc = JsonDocument.Parse(json.Stdout);
        string reasoning = doc.RootElement.GetProperty("reasoning").GetString() ?? "";
        Assert.Equal(doc.RootElement.GetProperty("content").GetString()!.Trim(), hidden.Stdout.Trim());
        Assert.Equal(hidden.Stdout, shown.Stdout);
        if (reasoning.Trim().Length > 0)
        {
            Assert.DoesNotContain(reasoning.Trim(), hidden.Stderr);
            Assert.Contains(reasoning.Trim(), shown.Stderr);
        }
    }

    [Fact]
    public void APromptTheKvCacheCannotHoldNamesTheSizeThatFits()
    {
        string ids = string.Join(' ', Enumerable.Range(1, 1900).Select(i => i % 700 + 1));
        var r = K2Cli.Run(
            null, "generate", "--model", K2Cli.RandomModel, "--tokens", ids, "--kv-cache-mb", "1", "--max-tokens", "10");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains(
            "the prompt has 1900 tokens but the KV cache holds 1808 (--kv-cache-mb 1); --kv-cache-mb 2 holds the "
            + "prompt and --max-tokens 10",
            r.Stderr);
    }

    [Fact]
    public void AKvCacheThatFillsWhileGeneratingIsAnError()
    {
        string ids = string.Join(' ', Enumerable.Range(1, 1000).Select(i => i % 700 + 1));
        var r = K2Cli.Run(
            null, "generate", "--model", K2Cli.RandomModel, "--tokens", ids, "--kv-cache-mb", "1", "--block-size", "1024",
            "--max-tokens", "100", "--temperature", "0");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("[KV cache full", r.Stderr);
        Assert.Contains("--kv-cache-mb 2 holds 1100 tokens", r.Stderr);
    }
}

// How `k2` answers mistakes and --help: one line saying what is wrong and a one-line hint on stderr, exit code 2,
// no banner, copyright or option dump; --help on stdout with a usage line and examples; start-up problems of
// `k2 chat` (files named by options, a --model that is a file, limits) one clear error and exit code 1.
using K2Native.Tests.Support;

namespace K2Native.Tests.Console;

public sealed class CommandLineTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("chat --format x", "k2 chat: --format 'x' is not one of: thinking, instruct", "k2 chat --help")]
    [InlineData("chat --bogus", "k2 chat: unknown option --bogus", "k2 chat --help")]
    [InlineData("chat --temperature warm", "k2 chat: --temperature 'warm' is not a number", "k2 chat --help")]
    [InlineData("chat --backend gpu", "k2 chat: --backend 'gpu' is not one of: cpu, cuda", "k2 chat --help")]
    [InlineData("generate --tokens 1 --kv-dtype f8", "k2 generate: --kv-dtype 'f8' is not one of: f32, bf16",
        "k2 generate --help")]
    [InlineData("generate --prompt hi --system x", "k2 generate: --system needs --chat", "k2 generate --help")]
    [InlineData("synth --out x", "k2 synth: --preset is required", "k2 synth --help")]
    [InlineData("frobnicate", "k2: unknown command 'frobnicate' (commands: bench, chat,", "k2 --help")]
    public void ParserErrorsAreOneLineAndAHint(string args, string message, string hint)
    {
        var r = K2Cli.Run("", args.Split(' '));
        Assert.Equal(2, r.ExitCode);
        var lines = r.Stderr.TrimEnd().Split('\n');
        Assert.Equal(2, lines.Length);
        Assert.StartsWith(message, lines[0]);
        Assert.Contains($"'{hint}'", lines[1]);
        Assert.Equal("", r.Stdout);
        Assert.DoesNotContain("Copyright", r.Stderr);
    }

    [Theory]
    [InlineData("chat")]
    [InlineData("generate")]
    [InlineData("info")]
    [InlineData("synth")]
    public void HelpGoesToStdoutWithUsageAndExamples(string verb)
    {
        var r = K2Cli.Run(null, verb, "--help");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("", r.Stderr);
        Assert.Contains($"usage: k2 {verb} [options]", r.Stdout);
        Assert.Contains("examples:", r.Stdout);
        Assert.Contains($"  k2 {verb}", r.Stdout);
        Assert.DoesNotContain("Copyright", r.Stdout);
    }

    [Fact]
    public void NoArgumentsListTheCommands()
    {
        var r = K2Cli.Run(null);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("usage: k2 COMMAND [options]", r.Stdout);
        Assert.Contains("chat ", r.Stdout);
    }

    [Fact]
    public void StartUpProblemsOfChatAreOneErrorAndExitCode1()
    {
        string malformed = _dir.File("bad.json");
        File.WriteAllText(malformed, "{ not json");
        string model = Path.Combine(SharedFixtures.RepositoryRoot, "models", "tiny-random");
        var cases = new (string[] Args, string Message)[]
        {
            (["--tools", _dir.File("missing.json")], $"k2: error: --tools {_dir.File("missing.json")}: file not found"),
            (["--tools", malformed], $"k2: error: --tools {malformed}: malformed JSON"),
            (["--load", _dir.File("missing.json")], $"k2: error: --load {_dir.File("missing.json")}: file not found"),
            (["--load", malformed], $"k2: error: --load {malformed}"),
            (["--model", Path.Combine(model, "config.json")], "k2: error: --model "
                + $"{Path.Combine(model, "config.json")} is a file; give the checkpoint's directory"),
            (["--model", _dir.File("nowhere")], $"k2: error: --model {_dir.File("nowhere")}: no such directory"),
            (["--context", "100000"], "k2: error: a context of 100000 tokens is more than the model's maximum of 4096"),
            (["--max-tokens", "5000"], "k2: error: max_tokens 5000 leaves no room for a prompt: a conversation holds "
                + "4096 tokens (the context), so at most 4095"),
            (["--max-tool-rounds", "-1"], "k2: error: tool_rounds -1 must be 0 or more"),
        };
        foreach (var (args, message) in cases)
        {
            var r = K2Cli.Run("hello\n", ["chat", .. args]);
            Assert.True(r.ExitCode == 1, $"{string.Join(' ', args)}: exit {r.ExitCode}\n{r.Stderr}");
            Assert.StartsWith(message, r.Stderr);
            Assert.Single(r.Stderr.TrimEnd().Split('\n'));
            Assert.DoesNotContain("you>", r.Stdout);
        }
    }

    [Fact]
    public void InfoGivesBytesPerTokenKvBytesAndMemoryAtAContext()
    {
        var r = K2Cli.Run(null, "info", "--model", K2Cli.RandomModel, "--context", "1000", "--kv-dtype", "bf16");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains(
            "active per token (all but the embeddings and the 12 of 16 routed experts a token does not pick)",
            r.Stdout);
        Assert.Contains("KV cache        288 B per token (3 layers x (32 latent + 16 rope) x 2 bytes, bf16)", r.Stdout);
        Assert.Contains("at a context of 1000:", r.Stdout);
        Assert.Contains("read per decoded token, at a context of 1000", r.Stdout);
        Assert.Contains("KV cache at 1000", r.Stdout);
        var bad = K2Cli.Run(null, "info", "--model", K2Cli.RandomModel, "--context", "999999");
        Assert.Equal(2, bad.ExitCode);
        Assert.StartsWith("k2 info: --context 999999 must be between 1 and the model's maximum of 4096", bad.Stderr);
    }

    [Fact]
    public void SynthSaysTheSizeFirstRefusesANonEmptyFolderAndTakesAVocabulary()
    {
        string outDir = _dir.File("slice");
        var r = K2Cli.Run(null, "synth", "--preset", "tiny", "--vocab", "600", "--out", outDir);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.StartsWith("writing tiny int4 (3 layers, 16 experts, vocab 600): ", r.Stderr);
        Assert.Contains("\"vocab_size\": 600", File.ReadAllText(Path.Combine(outDir, "config.json")));
        var again = K2Cli.Run(null, "synth", "--preset", "tiny", "--out", outDir);
        Assert.Equal(1, again.ExitCode);
        Assert.Equal(
            $"k2: error: --out {outDir} is not empty; give an empty or new directory, or --force to write into it",
            again.Stderr.Trim());
        Assert.Equal(0, K2Cli.Run(null, "synth", "--preset", "tiny", "--out", outDir, "--force").ExitCode);
        var small = K2Cli.Run(null, "synth", "--preset", "tiny", "--vocab", "300", "--out", _dir.File("x"));
        Assert.Equal(2, small.ExitCode);
        Assert.Contains("--vocab 300 is too small", small.Stderr);
    }
}

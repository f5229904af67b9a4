// `k2 perplexity` against the perplexity of transformers' own logits for the fixture's ids, and its errors.
using System.Globalization;
using System.Text.Json;
using K2Native.Tests.Support;

namespace K2Native.Tests.Console;

public sealed class PerplexityCommandTests
{
    [SharedFact]
    public void FixturePerplexityEqualsTheOneFromTransformersLogits()
    {
        string reference = Path.Combine(SharedFixtures.TinyK2, "reference");
        var ids = File.ReadAllText(Path.Combine(reference, "logits_tokens.txt"))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(s => int.Parse(s, CultureInfo.InvariantCulture))
            .ToArray();
        var logits = File.ReadAllBytes(Path.Combine(reference, "logits.f32"));
        int vocab = logits.Length / 4 / ids.Length;
        double expected = 0;
        for (int t = 0; t + 1 < ids.Length; t++)
        {
            var row = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(
                logits.AsSpan(t * vocab * 4, vocab * 4));
            double max = double.NegativeInfinity, sum = 0;
            foreach (float x in row) max = Math.Max(max, x);
            foreach (float x in row) sum += Math.Exp(x - max);
            expected += max + Math.Log(sum) - row[ids[t + 1]];
        }
        expected /= ids.Length - 1;

        using var dir = new TempDirectory();
        string file = Path.Combine(dir.Path, "ids.txt");
        // One line of all the ids, then blank lines, which are skipped.
        File.WriteAllText(file, string.Join(' ', ids) + "\n\n");
        var r = K2Cli.Run(null, "perplexity", "--model", SharedFixtures.TinyK2, "--ids", file);
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var doc = JsonDocument.Parse(r.Stdout);
        Assert.Equal(1, doc.RootElement.GetProperty("sequences").GetInt32());
        Assert.Equal(ids.Length - 1, doc.RootElement.GetProperty("tokens").GetInt32());
        double meanNll = doc.RootElement.GetProperty("mean_nll").GetDouble();
        Assert.InRange(meanNll, expected * (1 - 1e-4), expected * (1 + 1e-4));
        Assert.Equal(Math.Exp(meanNll), doc.RootElement.GetProperty("perplexity").GetDouble(), 9);
    }

    [Theory]
    [InlineData("1 2 3\n4 x\n", "ids.txt:2")]
    [InlineData("1 2 99999999\n", "outside the vocabulary")]
    [InlineData("\n\n", "no token ids")]
    public void BadIdsNameTheFileAndLine(string content, string expected)
    {
        using var dir = new TempDirectory();
        string file = Path.Combine(dir.Path, "ids.txt");
        File.WriteAllText(file, content);
        var r = K2Cli.Run(null, "perplexity", "--ids", file);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains(expected, r.Stderr);
    }

    [Fact]
    public void LimitScoresTheFirstSequences()
    {
        using var dir = new TempDirectory();
        string file = Path.Combine(dir.Path, "ids.txt");
        File.WriteAllText(file, "1 2 3 4\n5 6 7\nnot ids\n");
        var r = K2Cli.Run(null, "perplexity", "--ids", file, "--limit", "2");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var doc = JsonDocument.Parse(r.Stdout);
        Assert.Equal(5, doc.RootElement.GetProperty("tokens").GetInt32());
        Assert.True(double.IsFinite(doc.RootElement.GetProperty("perplexity").GetDouble()));
    }
}

// The sampler against a plain reference of Hugging Face's warper chain (temperature, top-k, top-p, min-p):
// the set of tokens that can be drawn must be identical and the draw frequencies must match the reference
// probabilities; greedy takes the first maximum; seeds reproduce; broken logits are refused.
using K2Native.Numerics;
using K2Native.Runtime;

namespace K2Native.Tests.Runtime;

public sealed class SamplerTests
{
    public static TheoryData<float, int, float, float> Settings() => new()
    {
        { 1f, 0, 1f, 0f },
        { 0.7f, 0, 1f, 0f },
        { 1f, 5, 1f, 0f },
        { 1f, 0, 0.9f, 0f },
        { 1f, 0, 1f, 0.01f },
        { 1f, 0, 1f, 0.3f },
        { 1.3f, 8, 0.8f, 0.05f },
        { 0.5f, 1, 1f, 0f },
        { 2f, 40, 0.5f, 0f },
    };

    [Theory]
    [MemberData(nameof(Settings))]
    public void DrawsFollowTheReferenceDistribution(float temperature, int topK, float topP, float minP)
    {
        var logits = Logits(37, seed: 3);
        logits[5] = logits[9];                              // a tie, to exercise top-k's tie rule
        var settings = new SamplingParams { Temperature = temperature, TopK = topK, TopP = topP, MinP = minP };
        var expected = Reference(logits, settings);
        var sampler = new Sampler(logits.Length);
        var random = new SplitMix64(42);
        const int draws = 40000;
        var counts = new int[logits.Length];
        for (int i = 0; i < draws; i++) counts[sampler.Sample(logits, settings, ref random)]++;
        for (int id = 0; id < logits.Length; id++)
        {
            if (expected[id] == 0)
            {
                Assert.True(counts[id] == 0, $"token {id} is excluded by {settings} but was drawn {counts[id]} times");
                continue;
            }
            double sigma = Math.Sqrt(draws * expected[id] * (1 - expected[id]));
            Assert.True(Math.Abs(counts[id] - draws * expected[id]) <= 5 * sigma + 1,
                $"token {id}: drawn {counts[id]} times, expected {draws * expected[id]:F0} ({settings})");
        }
    }

    [Fact]
    public void GreedyTakesTheFirstMaximum()
    {
        float[] logits = [0.5f, 3f, -1f, 3f, float.NegativeInfinity];
        var random = new SplitMix64(1);
        Assert.Equal(1, new Sampler(5).Sample(logits, SamplingParams.Greedy, ref random));
    }

    [Fact]
    public void SameSeedSameTokens()
    {
        var logits = Logits(100, seed: 9);
        var sampler = new Sampler(100);
        var a = new SplitMix64(7);
        var b = new SplitMix64(7);
        var first = Enumerable.Range(0, 50)
            .Select(_ => sampler.Sample(logits, SamplingParams.K2Thinking, ref a))
            .ToArray();
        var second = Enumerable.Range(0, 50)
            .Select(_ => sampler.Sample(logits, SamplingParams.K2Thinking, ref b))
            .ToArray();
        Assert.Equal(first, second);
        Assert.True(first.Distinct().Count() > 3);
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void BrokenLogitsAreRefused(float bad)
    {
        var logits = Logits(10, seed: 1);
        logits[4] = bad;
        var random = new SplitMix64(1);
        var e = Assert.Throws<NonFiniteLogitsException>(
            () => new Sampler(10).Sample(logits, SamplingParams.K2Thinking, ref random));
        Assert.Equal(4, e.TokenId);
    }

    [Theory]
    [InlineData(-0.1f, 0, 1f, 0f, "temperature")]
    [InlineData(1f, -1, 1f, 0f, "top_k")]
    [InlineData(1f, 0, 0f, 0f, "top_p")]
    [InlineData(1f, 0, 1.5f, 0f, "top_p")]
    [InlineData(1f, 0, 1f, 2f, "min_p")]
    public void OutOfRangeSettingsAreNamed(float temperature, int topK, float topP, float minP, string name)
    {
        var e = Assert.Throws<ArgumentException>(
            () => new SamplingParams { Temperature = temperature, TopK = topK, TopP = topP, MinP = minP }.Validate());
        Assert.Contains(name, e.Message);
    }

    private static float[] Logits(int n, ulong seed)
    {
        var random = new SplitMix64(seed);
        return Enumerable.Range(0, n).Select(_ => random.NextSymmetric(3f)).ToArray();
    }

    /// <summary>Hugging Face's warpers in order, in double precision, over a full sort: the final
    /// probabilities.</summary>
    private static double[] Reference(float[] logits, SamplingParams s)
    {
        int n = logits.Length;
        var scores = logits.Select(l => (double)l / s.Temperature).ToArray();
        if (s.TopK > 0)
        {
            double kth = scores.OrderByDescending(x => x).ElementAt(Math.Min(s.TopK, n) - 1);
            for (int i = 0; i < n; i++) if (scores[i] < kth) scores[i] = double.NegativeInfinity;
        }
        if (s.TopP < 1)
        {
            var probs = Softmax(scores);
            var order = Enumerable.Range(0, n).OrderByDescending(i => probs[i]).ThenBy(i => i).ToArray();
            double above = 0;
            for (int r = 0; r < n; r++)
            {
                int i = order[r];
                if (r > 0 && above >= s.TopP) scores[i] = double.NegativeInfinity;
                above += probs[i];
            }
        }
        if (s.MinP > 0)
        {
            var probs = Softmax(scores);
            double bar = s.MinP * probs.Max();
            for (int i = 0; i < n; i++) if (probs[i] < bar) scores[i] = double.NegativeInfinity;
        }
        return Softmax(scores);
    }

    private static double[] Softmax(double[] scores)
    {
        double max = scores.Max();
        var e = scores.Select(x => Math.Exp(x - max)).ToArray();
        double sum = e.Sum();
        return e.Select(x => x / sum).ToArray();
    }
}

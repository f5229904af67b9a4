// TokenLogProbs.Of (the engine's per-token log-probabilities behind the API's logprobs) against a plain
// double-precision log-softmax and a full sort: the sampled token's value, the top list's order (ties by id),
// forbidden (-infinity) tokens never listed, top 0 and a top larger than the allowed tokens.
using K2Native.Runtime;

namespace K2Native.Tests.Serving;

public sealed class TokenLogProbsTests
{
    [Theory]
    [InlineData(1, 0)]
    [InlineData(7, 3)]
    [InlineData(64, 20)]
    [InlineData(1000, 5)]
    public void MatchesALogSoftmaxAndAFullSort(int vocabulary, int top)
    {
        var random = new Random(vocabulary * 31 + top);
        var logits = new float[vocabulary];
        for (int i = 0; i < vocabulary; i++) logits[i] = (float)(random.NextDouble() * 20 - 10);
        if (vocabulary > 4)
        {
            logits[3] = logits[1];                       // a tie: the lower id comes first
            logits[2] = float.NegativeInfinity;          // forbidden by a constraint
        }
        int sampled = vocabulary / 2;
        var result = TokenLogProbs.Of(logits, sampled, top);

        double max = logits.Max(), sum = logits.Sum(x => Math.Exp(x - max));
        double Expected(int id) => logits[id] - max - Math.Log(sum);
        Assert.Equal(sampled, result.Sampled.TokenId);
        Assert.Equal(Expected(sampled), result.Sampled.LogProb, 1e-5);
        int[] order = [.. Enumerable.Range(0, vocabulary).Where(i => !float.IsNegativeInfinity(logits[i]))
            .OrderByDescending(i => logits[i]).ThenBy(i => i).Take(top)];
        Assert.Equal(order, result.Top.Select(t => t.TokenId));
        foreach (var t in result.Top) Assert.Equal(Expected(t.TokenId), t.LogProb, 1e-5);
    }

    [Fact]
    public void ListsOnlyAllowedTokensWhenFewerThanTopAreAllowed()
    {
        float[] logits = [float.NegativeInfinity, 2f, float.NegativeInfinity, float.NegativeInfinity];
        var result = TokenLogProbs.Of(logits, 1, 3);
        Assert.Equal(0f, result.Sampled.LogProb);
        Assert.Equal([new TokenLogProb(1, 0f)], result.Top);
    }

    [Fact]
    public void RefusesMoreThanTwentyAlternatives() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => TokenLogProbs.Of(new float[30], 0, 21));
}

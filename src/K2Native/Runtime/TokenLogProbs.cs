// Log-probabilities of one generated token, for OpenAI's logprobs: the sampled token's and the most likely
// alternatives', all over the distribution the sampler drew from taken at temperature 1 (a log-softmax of the
// model's logits after the request's token constraint masked what it forbids; temperature, top-k, top-p and
// min-p do not change them). Computed on the engine thread, only for requests that ask.
namespace K2Native.Runtime;

/// <summary>One token id and its natural-log probability.</summary>
public readonly record struct TokenLogProb(int TokenId, float LogProb);

/// <summary>The sampled token's log-probability and the <c>top</c> most likely tokens (most likely first, ties by
/// id).</summary>
public sealed record TokenLogProbs(TokenLogProb Sampled, IReadOnlyList<TokenLogProb> Top)
{
    /// <summary>The most alternatives a request may ask for (OpenAI's top_logprobs limit).</summary>
    public const int MaxTop = 20;

    /// <summary>Log-softmax of <paramref name="logits"/> at <paramref name="sampled"/>, and the <paramref name="top"/>
    /// largest. Forbidden tokens (logit -infinity) have no probability and are never listed.</summary>
    public static TokenLogProbs Of(ReadOnlySpan<float> logits, int sampled, int top)
    {
        if ((uint)top > MaxTop) throw new ArgumentOutOfRangeException(nameof(top), top, $"expected 0 to {MaxTop}");
        float max = float.NegativeInfinity;
        foreach (float x in logits) max = MathF.Max(max, x);
        double sum = 0;
        foreach (float x in logits) sum += Math.Exp(x - max);
        double logSum = max + Math.Log(sum);

        Span<int> best = stackalloc int[top + 1];
        int count = 0;
        for (int i = 0; i < logits.Length && top > 0; i++)
        {
            float x = logits[i];
            if (float.IsNegativeInfinity(x) || count == top && x <= logits[best[count - 1]]) continue;
            int at = count < top ? count++ : count - 1;
            while (at > 0 && logits[best[at - 1]] < x)   // strictly less: an equal logit seen earlier has the lower id
            {
                best[at] = best[at - 1];
                at--;
            }
            best[at] = i;
        }
        var list = new TokenLogProb[count];
        for (int j = 0; j < count; j++) list[j] = new TokenLogProb(best[j], (float)(logits[best[j]] - logSum));
        return new TokenLogProbs(new TokenLogProb(sampled, (float)(logits[sampled] - logSum)), list);
    }
}

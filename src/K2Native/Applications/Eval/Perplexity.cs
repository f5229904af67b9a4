// Perplexity of token sequences under a model: exp(mean negative log-likelihood of every token after the first of
// each sequence), from one causal forward pass per sequence, with the log-softmax in double precision. This is how
// tools/demo-model/perplexity.py scores the same ids with PyTorch, so the two figures can be compared directly.
using K2Native.Model;

namespace K2Native.Applications.Eval;

/// <summary>Sum of negative log-likelihoods and the number of tokens they cover.</summary>
internal readonly record struct NllSum(double Sum, long Tokens)
{
    public double MeanNll => Tokens == 0 ? double.NaN : Sum / Tokens;

    public double Perplexity => Math.Exp(MeanNll);

    public static NllSum operator +(NllSum a, NllSum b) => new(a.Sum + b.Sum, a.Tokens + b.Tokens);
}

internal static class Perplexity
{
    /// <summary>The NLL of ids[1..] given their prefixes; a sequence of one token contributes nothing.</summary>
    public static NllSum Score(K2Model model, ReadOnlySpan<int> ids)
    {
        if (ids.Length < 2) return default;
        int v = model.Config.VocabSize;
        var logits = new float[(long)ids.Length * v];
        model.Forward(ids, logits);
        double sum = 0;
        for (int t = 0; t + 1 < ids.Length; t++)
        {
            var row = logits.AsSpan(t * v, v);
            double nll = LogSumExp(row) - row[ids[t + 1]];
            if (!double.IsFinite(nll))
                throw new InvalidOperationException($"the model's logits at position {t} are not finite");
            sum += nll;
        }
        return new NllSum(sum, ids.Length - 1);
    }

    private static double LogSumExp(ReadOnlySpan<float> row)
    {
        double max = double.NegativeInfinity;
        foreach (float x in row) max = Math.Max(max, x);
        double s = 0;
        foreach (float x in row) s += Math.Exp(x - max);
        return max + Math.Log(s);
    }
}

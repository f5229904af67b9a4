// Picks the next token from a row of logits. Greedy takes the first maximum. Sampling follows the order of
// Hugging Face's warpers: temperature, then top-k (ties with the k-th value kept), then top-p over the
// probabilities renormalized to the top-k set (a token stays if the tokens above it hold less than p), then
// min-p relative to the most likely token. All three keep a prefix of the tokens sorted by probability, and
// tokens below the min-p bar can never survive, so only those are sorted; the sums top-p needs are taken over
// the whole top-k set. Buffers are sized once per vocabulary: sampling allocates nothing.
using K2Native.Numerics;

namespace K2Native.Runtime;

/// <summary>Draws tokens from logits. One instance per engine thread.</summary>
internal sealed class Sampler
{
    private readonly float[] _probabilities;
    private readonly int[] _candidates;
    private readonly float[] _heap;

    public Sampler(int vocabSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(vocabSize, 1);
        _probabilities = new float[vocabSize];
        _candidates = new int[vocabSize];
        _heap = new float[vocabSize];
    }

    /// <summary>The next token for <paramref name="logits"/> (one row, vocabulary order).</summary>
    /// <exception cref="NonFiniteLogitsException">A logit is NaN or +infinity.</exception>
    public int Sample(ReadOnlySpan<float> logits, SamplingParams settings, ref SplitMix64 random)
    {
        if (logits.Length != _probabilities.Length)
            throw new ArgumentException(
                $"logits hold {logits.Length} values; this sampler is for a vocabulary of {_probabilities.Length}");
        int best = ArgMax(logits);
        if (settings.IsGreedy) return best;

        float inverseTemperature = 1f / settings.Temperature;
        float top = logits[best] * inverseTemperature;
        var p = _probabilities.AsSpan();
        for (int i = 0; i < p.Length; i++) p[i] = MathF.Exp(logits[i] * inverseTemperature - top);   // p[best] = 1

        float kthValue = settings.TopK > 0 && settings.TopK < p.Length ? KthLargest(settings.TopK) : 0f;
        float minPBar = settings.MinP * 1f;                                  // relative to p[best] = 1
        float floor = MathF.Max(kthValue, minPBar);
        double topKMass = 0;
        int count = 0;
        for (int i = 0; i < p.Length; i++)
        {
            if (p[i] < kthValue || p[i] == 0f) continue;
            topKMass += p[i];
            if (p[i] >= floor) _candidates[count++] = i;
        }

        var candidates = _candidates.AsSpan(0, count);
        if (settings.TopP < 1f)
        {
            candidates.Sort(new ByProbability(_probabilities));
            double above = 0, bar = settings.TopP * topKMass;
            int keep = 0;
            while (keep < count && (keep == 0 || above < bar)) above += p[candidates[keep++]];
            candidates = candidates[..keep];
        }

        double mass = 0;
        foreach (int i in candidates) mass += p[i];
        double target = random.NextDouble() * mass;
        foreach (int i in candidates)
        {
            target -= p[i];
            if (target < 0) return i;
        }
        return candidates[^1];
    }

    /// <summary>Index of the first maximum; throws on NaN or +infinity.</summary>
    public static int ArgMax(ReadOnlySpan<float> logits)
    {
        int best = 0;
        float value = float.NegativeInfinity;
        for (int i = 0; i < logits.Length; i++)
        {
            float x = logits[i];
            if (float.IsNaN(x) || float.IsPositiveInfinity(x)) throw new NonFiniteLogitsException(i, x);
            if (x > value)
            {
                value = x;
                best = i;
            }
        }
        if (value == float.NegativeInfinity) throw new NonFiniteLogitsException(0, value);
        return best;
    }

    /// <summary>The k-th largest probability (a min-heap of the k largest seen).</summary>
    private float KthLargest(int k)
    {
        var heap = _heap.AsSpan(0, k);
        var p = _probabilities;
        for (int i = 0; i < k; i++) SiftUp(heap, i, p[i]);
        for (int i = k; i < p.Length; i++)
        {
            if (p[i] <= heap[0]) continue;
            SiftDown(heap, p[i]);
        }
        return heap[0];
    }

    private static void SiftUp(Span<float> heap, int i, float value)
    {
        while (i > 0)
        {
            int parent = (i - 1) / 2;
            if (heap[parent] <= value) break;
            heap[i] = heap[parent];
            i = parent;
        }
        heap[i] = value;
    }

    private static void SiftDown(Span<float> heap, float value)
    {
        int i = 0;
        while (true)
        {
            int child = 2 * i + 1;
            if (child >= heap.Length) break;
            if (child + 1 < heap.Length && heap[child + 1] < heap[child]) child++;
            if (heap[child] >= value) break;
            heap[i] = heap[child];
            i = child;
        }
        heap[i] = value;
    }

    /// <summary>Most likely first; equal probabilities by id.</summary>
    private readonly struct ByProbability(float[] p) : IComparer<int>
    {
        public int Compare(int a, int b)
        {
            int order = p[b].CompareTo(p[a]);
            return order != 0 ? order : a.CompareTo(b);
        }
    }
}

/// <summary>The model produced a NaN or +infinity logit: the numbers are broken, and no token is drawn from
/// them.</summary>
public sealed class NonFiniteLogitsException(int index, float value)
    : InvalidOperationException(
        $"the model produced a non-finite logit ({value} for token {index}); refusing to sample from it")
{
    public int TokenId { get; } = index;
}

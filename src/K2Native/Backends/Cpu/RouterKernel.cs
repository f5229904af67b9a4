// K2's MoE router for one token (K2-SPEC section 2): s = sigmoid(logits); selection on s + bias,
// limited to the best topk_group groups (group score = sum of its two best biased scores) when
// n_group > 1; weights are the unbiased s of the chosen experts, renormalized and scaled.
// Masked groups are excluded outright (-inf), as in DeepSeek's reference inference; transformers
// fills them with 0.0, which differs only if an allowed expert's biased score is negative.
namespace K2Native.Backends.Cpu;

internal static class RouterKernel
{
    /// <summary>
    /// Chooses TopK experts; ids come out best first (ties: lower id first). <paramref name="scratch"/> holds
    /// 2·E + n_group floats.
    /// </summary>
    public static void Select(
        ReadOnlySpan<float> logits,
        ReadOnlySpan<float> bias,
        RouterSettings r,
        Span<int> ids,
        Span<float> weights,
        Span<float> scratch)
    {
        int experts = r.Experts;
        var scores = scratch[..experts];
        var choice = scratch.Slice(experts, experts);
        for (int e = 0; e < experts; e++)
        {
            float s = 1f / (1f + MathF.Exp(-logits[e]));
            scores[e] = s;
            choice[e] = s + bias[e];
        }
        if (r.Groups > 1 && r.TopkGroups < r.Groups)
            MaskGroups(choice, r, scratch.Slice(2 * experts, r.Groups));

        for (int k = 0; k < r.TopK; k++)
        {
            int best = -1;
            float bestValue = float.NegativeInfinity;
            for (int e = 0; e < experts; e++)
            {
                if (choice[e] > bestValue) { bestValue = choice[e]; best = e; }
            }
            if (best < 0)
                throw new NonFiniteActivationException(
                    -1, "mlp.gate (the router)", $"fewer than {r.TopK} experts have finite scores");
            ids[k] = best;
            choice[best] = float.NegativeInfinity;
        }

        float sum = 0;
        for (int k = 0; k < r.TopK; k++)
        {
            weights[k] = scores[ids[k]];
            sum += weights[k];
        }
        float norm = r.NormalizeTopK ? 1f / (sum + 1e-20f) : 1f;
        for (int k = 0; k < r.TopK; k++) weights[k] = weights[k] * norm * r.ScalingFactor;
    }

    private static void MaskGroups(Span<float> choice, RouterSettings r, Span<float> groupScores)
    {
        int perGroup = r.Experts / r.Groups;
        for (int g = 0; g < r.Groups; g++)
        {
            float first = float.NegativeInfinity, second = float.NegativeInfinity;
            foreach (float v in choice.Slice(g * perGroup, perGroup))
            {
                if (v > first) { second = first; first = v; }
                else if (v > second) second = v;
            }
            groupScores[g] = first + second;
        }
        Span<bool> keep = stackalloc bool[r.Groups];
        for (int k = 0; k < r.TopkGroups; k++)
        {
            int best = -1;
            float bestValue = float.NegativeInfinity;
            for (int g = 0; g < r.Groups; g++)
            {
                if (!keep[g] && (best < 0 || groupScores[g] > bestValue)) { bestValue = groupScores[g]; best = g; }
            }
            keep[best] = true;
        }
        for (int g = 0; g < r.Groups; g++)
            if (!keep[g]) choice.Slice(g * perGroup, perGroup).Fill(float.NegativeInfinity);
    }
}

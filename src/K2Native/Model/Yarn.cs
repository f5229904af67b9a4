// RoPE frequencies with YaRN context extension, and the softmax scale it implies (K2-SPEC section 2).
// inv_freq[i] = theta^(-2i/d); with YaRN, pairs below `low` keep it, pairs above `high` are divided by
// `factor`, and a linear ramp blends between; corr(r) = d·ln(orig / (2π·r)) / (2·ln θ).
using K2Native.Backends;
using K2Native.Checkpoint;

namespace K2Native.Model;

/// <summary>Rotary tables and softmax scale of a config.</summary>
internal static class Yarn
{
    /// <summary>The RoPE table for <paramref name="config"/> (YaRN-adjusted when rope_scaling is set).</summary>
    public static RopeTable Rope(K2Config config)
    {
        int d = config.QkRopeHeadDim;
        double theta = config.RopeTheta;
        var inv = new double[d / 2];
        for (int i = 0; i < inv.Length; i++) inv[i] = 1.0 / Math.Pow(theta, 2.0 * i / d);
        if (config.RopeScaling is not { } s) return new RopeTable(inv, 1f);

        double Correction(double rotations) =>
            d * Math.Log(s.OriginalMaxPositionEmbeddings / (rotations * 2 * Math.PI)) / (2 * Math.Log(theta));
        double low = Math.Max(Math.Floor(Correction(s.BetaFast)), 0);
        double high = Math.Min(Math.Ceiling(Correction(s.BetaSlow)), d - 1);
        if (low == high) high += 0.001;
        for (int i = 0; i < inv.Length; i++)
        {
            double ramp = Math.Clamp((i - low) / (high - low), 0, 1);
            inv[i] = inv[i] / s.Factor * ramp + inv[i] * (1 - ramp);
        }
        return new RopeTable(inv, (float)CosSinScale(s));
    }

    /// <summary>
    /// (nope + rope)^-0.5, times mscale² with mscale = 0.1·mscale_all_dim·ln(factor) + 1 under YaRN.
    /// </summary>
    public static float SoftmaxScale(K2Config config)
    {
        double scale = 1.0 / Math.Sqrt(config.QkHeadDim);
        if (config.RopeScaling is { MscaleAllDim: > 0 } s)
        {
            double m = Mscale(s.Factor, s.MscaleAllDim.Value);
            scale *= m * m;
        }
        return (float)scale;
    }

    /// <summary>
    /// transformers' attention_factor, which scales cos and sin: given, or mscale(mscale)/mscale(mscale_all_dim)
    /// when both are set and non-zero (1 for K2), else mscale(factor, 1).
    /// </summary>
    private static double CosSinScale(RopeScaling s) =>
        s.AttentionFactor
        ?? (s is { Mscale: > 0, MscaleAllDim: > 0 }
            ? Mscale(s.Factor, s.Mscale.Value) / Mscale(s.Factor, s.MscaleAllDim.Value)
            : Mscale(s.Factor, 1));

    private static double Mscale(double factor, double mscale) => factor <= 1
        ? 1.0
        : 0.1 * mscale * Math.Log(factor) + 1.0;
}

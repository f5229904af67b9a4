// Error measures used by numeric tests (relative L2, top-1 agreement) and random test data.
using K2Native.Numerics;

namespace K2Native.Tests.Support;

internal static class TestData
{
    /// <summary>||actual - expected|| / ||expected||.</summary>
    public static double RelativeL2(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected)
    {
        Assert.Equal(expected.Length, actual.Length);
        double num = 0, den = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double d = (double)actual[i] - expected[i];
            num += d * d;
            den += (double)expected[i] * expected[i];
        }
        return den == 0 ? Math.Sqrt(num) : Math.Sqrt(num / den);
    }

    public static double RelativeL2(ReadOnlySpan<float> actual, ReadOnlySpan<double> expected)
    {
        Assert.Equal(expected.Length, actual.Length);
        double num = 0, den = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double d = actual[i] - expected[i];
            num += d * d;
            den += expected[i] * expected[i];
        }
        return den == 0 ? Math.Sqrt(num) : Math.Sqrt(num / den);
    }

    /// <summary>Fraction of rows whose argmax agrees.</summary>
    public static double TopOneAgreement(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected, int cols)
    {
        int rows = expected.Length / cols, agree = 0;
        for (int r = 0; r < rows; r++)
            if (ArgMax(actual.Slice(r * cols, cols)) == ArgMax(expected.Slice(r * cols, cols))) agree++;
        return (double)agree / rows;
    }

    public static int ArgMax(ReadOnlySpan<float> row)
    {
        int best = 0;
        for (int i = 1; i < row.Length; i++) if (row[i] > row[best]) best = i;
        return best;
    }

    public static float[] RandomFloats(int n, ulong seed, float scale = 1f)
    {
        var rng = new SplitMix64(seed);
        var values = new float[n];
        for (int i = 0; i < n; i++) values[i] = rng.NextSymmetric(scale);
        return values;
    }

    public static ushort[] RandomBf16(int n, ulong seed, float scale = 1f) =>
        RandomFloats(n, seed, scale).Select(K2Native.Numerics.Bf16.FromFloat).ToArray();
}

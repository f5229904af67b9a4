// Helpers every benchmark's report uses: culture-independent formatting and nearest-rank percentiles.
using System.Globalization;

namespace K2Bench.Bench;

internal static class BenchText
{
    public static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    /// <summary>The nearest-rank q-quantile of ascending <paramref name="sorted"/> (NaN when empty).</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double q) =>
        sorted.Count == 0
            ? double.NaN
            : sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Count) - 1, 0, sorted.Count - 1)];
}

// Feeds the server's time-to-first-token and inter-token-latency histograms from one request's stream of
// visible pieces (about one per generated token), timed from the moment the request arrived.
using System.Diagnostics;

namespace K2Bench.Serve;

internal sealed class TokenTiming(ServerMetrics metrics, Stopwatch clock)
{
    private TimeSpan? _last;

    /// <summary>A piece of output became visible now.</summary>
    public void Token()
    {
        var now = clock.Elapsed;
        if (_last is null) metrics.TimeToFirstToken.Observe(now.TotalSeconds);
        else metrics.InterTokenLatency.Observe((now - _last.Value).TotalSeconds);
        _last = now;
    }
}

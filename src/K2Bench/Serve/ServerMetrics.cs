// The server's Prometheus metrics, written by hand in the text exposition format: requests by endpoint and
// status, engine gauges (running and waiting sequences, KV blocks used, free and cached), prompt tokens
// computed vs reused from the prefix cache, generated tokens, and histograms of time to first token and
// inter-token latency.
using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using K2Native.Runtime;

namespace K2Bench.Serve;

internal sealed class ServerMetrics
{
    private readonly ConcurrentDictionary<(string Endpoint, int Status), long> _requests = new();

    public Histogram TimeToFirstToken { get; } = new([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]);

    public Histogram InterTokenLatency { get; } =
        new([0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]);

    public void CountRequest(string endpoint, int status) => _requests.AddOrUpdate(
        (endpoint, status), 1, (_, n) => n + 1);

    public string Render(Engine? engine)
    {
        var sb = new StringBuilder();
        sb.Append("# HELP k2_requests_total HTTP requests by endpoint and status.\n# TYPE k2_requests_total counter\n");
        foreach (var ((endpoint, status), n) in _requests.OrderBy(p => p.Key))
            sb.Append(
                CultureInfo.InvariantCulture,
                $"k2_requests_total{{endpoint=\"{endpoint}\",status=\"{status}\"}} {n}\n");
        if (engine is not null)
        {
            Gauge(sb, "k2_running_sequences", "Sequences computing now.", engine.RunningSequences);
            Gauge(sb, "k2_waiting_sequences", "Sequences waiting for room.", engine.WaitingSequences);
            Gauge(sb, "k2_kv_blocks_used", "KV cache blocks held by sequences.", engine.Pool.InUse);
            Gauge(
                sb, "k2_kv_blocks_free", "KV cache blocks not held by any sequence (cached ones included).",
                engine.Pool.Available);
            Gauge(
                sb, "k2_kv_blocks_cached", "Free KV cache blocks still findable by the prefix cache.",
                engine.Pool.Cached);
            Counter(sb, "k2_prompt_tokens_computed_total", "Prompt tokens computed.", engine.ComputedPromptTokens);
            Counter(
                sb, "k2_prompt_tokens_reused_total", "Prompt tokens served from the prefix cache.",
                engine.ReusedPromptTokens);
            Counter(sb, "k2_generated_tokens_total", "Tokens generated.", engine.GeneratedTokens);
        }
        TimeToFirstToken.Render(sb, "k2_time_to_first_token_seconds", "Time from request to first generated token.");
        InterTokenLatency.Render(
            sb, "k2_inter_token_latency_seconds", "Time between consecutive generated tokens of a stream.");
        return sb.ToString();
    }

    private static void Gauge(StringBuilder sb, string name, string help, long value) =>
        sb.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}\n");

    private static void Counter(StringBuilder sb, string name, string help, long value) =>
        sb.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}\n");

    /// <summary>A cumulative Prometheus histogram over fixed upper bounds (seconds).</summary>
    internal sealed class Histogram(double[] bounds)
    {
        private readonly long[] _counts = new long[bounds.Length + 1];
        private double _sum;
        private long _count;

        public void Observe(double seconds)
        {
            lock (_counts)
            {
                int i = 0;
                while (i < bounds.Length && seconds > bounds[i]) i++;
                _counts[i]++;
                _sum += seconds;
                _count++;
            }
        }

        public void Render(StringBuilder sb, string name, string help)
        {
            sb.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} histogram\n");
            lock (_counts)
            {
                long cumulative = 0;
                for (int i = 0; i < bounds.Length; i++)
                {
                    cumulative += _counts[i];
                    sb.Append(CultureInfo.InvariantCulture, $"{name}_bucket{{le=\"{bounds[i]}\"}} {cumulative}\n");
                }
                sb.Append(
                    CultureInfo.InvariantCulture,
                    $"{name}_bucket{{le=\"+Inf\"}} {_count}\n{name}_sum {_sum}\n{name}_count {_count}\n");
            }
        }
    }
}

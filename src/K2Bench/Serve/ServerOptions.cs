// Settings of `k2 serve`'s HTTP side (the engine's come from EngineArguments): where to listen, the key,
// how many requests may wait, and the largest body accepted.
namespace K2Bench.Serve;

internal sealed record ServerOptions
{
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>0 picks a free port (tests).</summary>
    public int Port { get; init; } = 8000;

    /// <summary>When set, /v1 requests need "Authorization: Bearer KEY".</summary>
    public string? ApiKey { get; init; }

    /// <summary>Requests that may wait beyond the engine's running sequences before new ones get 429.</summary>
    public int MaxQueue { get; init; } = 64;

    public long MaxBodyBytes { get; init; } = 8L << 20;

    /// <summary>Log unknown request fields and malformed model output to standard error.</summary>
    public bool Verbose { get; init; } = true;
}

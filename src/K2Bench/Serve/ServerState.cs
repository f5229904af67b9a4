// What the endpoints share: the chat service once the model is loaded (null while loading: /health answers
// 503), the admission counter behind --max-queue, the metrics, and the token that fires at shutdown.
using K2Native.Serving;

namespace K2Bench.Serve;

internal sealed class ServerState(ServerOptions options)
{
    private int _inFlight;

    public ServerOptions Options { get; } = options;

    public ServerMetrics Metrics { get; } = new();

    /// <summary>Set once the model is loaded.</summary>
    public volatile ChatCompletionService? Service;

    /// <summary>Fires when the server starts shutting down; in-flight streams end with an error event.</summary>
    public CancellationToken Stopping { get; set; }

    /// <summary>Takes a generation slot, or false when running plus waiting requests are at the limit.</summary>
    public bool TryAdmit(ChatCompletionService service)
    {
        int limit = service.Engine.Options.MaxSequences + Options.MaxQueue;
        if (Interlocked.Increment(ref _inFlight) <= limit) return true;
        Interlocked.Decrement(ref _inFlight);
        return false;
    }

    public void Leave() => Interlocked.Decrement(ref _inFlight);

    public void Log(string line)
    {
        if (Options.Verbose) Console.Error.WriteLine($"k2 serve: {line}");
    }
}

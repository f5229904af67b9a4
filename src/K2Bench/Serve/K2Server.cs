// The HTTP host of `k2 serve`: Kestrel on the given address, the routes, the API key check and OpenAI-shaped
// errors for every refusal (unknown routes, wrong methods and bodies included). Started by ServeCommand (which
// loads the model after the server is up, /health answering 503 until then) and by the tests (port 0).
using K2Native.Serving;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace K2Bench.Serve;

internal sealed class K2Server : IAsyncDisposable
{
    private readonly WebApplication _app;

    private K2Server(WebApplication app, ServerState state)
    {
        _app = app;
        State = state;
    }

    public ServerState State { get; }

    /// <summary>The address the server listens on, e.g. http://127.0.0.1:8000.</summary>
    public string Address => _app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
        .Features.Get<IServerAddressesFeature>()!.Addresses.First();

    /// <summary>Fires when the host begins to stop (Ctrl+C, SIGTERM, StopAsync).</summary>
    public CancellationToken Stopping => _app.Lifetime.ApplicationStopping;

    /// <summary>Starts listening; the chat service may be set later (until then /health says 503).</summary>
    public static async Task<K2Server> StartAsync(ServerOptions options, ChatCompletionService? service = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(10));
        builder.WebHost.UseKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = null;   // HttpIo enforces the limit with an OpenAI-shaped 413
            k.AddServerHeader = false;
        });
        builder.WebHost.UseUrls(
            $"http://{(options.Host.Contains(':') ? $"[{options.Host}]" : options.Host)}:{options.Port}");
        var app = builder.Build();
        var state = new ServerState(options) { Service = service, Stopping = app.Lifetime.ApplicationStopping };
        Routes.Map(app, state);
        await app.StartAsync();
        return new K2Server(app, state);
    }

    /// <summary>Runs until Ctrl+C or SIGTERM.</summary>
    public Task WaitForShutdownAsync() => _app.WaitForShutdownAsync();

    public Task StopAsync() => _app.StopAsync();

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}

// One engine on the bundled tiny model and two loopback servers over it, shared by the server tests: "Plain"
// lets the model speak (random text), "Scripted" makes it emit ScriptedAssistant's answers (tool calls
// included). Both bind port 0 on 127.0.0.1.
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using K2Bench.Serve;
using K2Native.Backends.Cpu;
using K2Native.Runtime;
using K2Native.Serving;
using K2Native.Tests.Support;

namespace K2Native.Tests.Serving;

public sealed class ServerFixture : IAsyncLifetime
{
    public static readonly string Bundled = Path.Combine(SharedFixtures.RepositoryRoot, "models", "tiny-random");

    internal ModelHost Host { get; private set; } = null!;

    internal K2Server Plain { get; private set; } = null!;

    internal K2Server Scripted { get; private set; } = null!;

    internal ChatCompletionService PlainService { get; private set; } = null!;

    internal ChatCompletionService ScriptedService { get; private set; } = null!;

    public HttpClient PlainClient { get; private set; } = null!;

    public HttpClient ScriptedClient { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Host = ModelHost.Open(Bundled, new CpuBackend(), new EngineOptions { KvCacheBytes = 16L << 20 });
        var defaults = new ServingDefaults { ModelName = "tiny", MaxTokens = 512 };
        PlainService = new ChatCompletionService(Host.Engine, Host.Template, defaults);
        var script = new ScriptedAssistant(Host.Tokenizer);
        ScriptedService = new ChatCompletionService(Host.Engine, Host.Template, defaults)
        {
            ConstraintOverride = script.For
        };
        var options = new ServerOptions { Port = 0, Verbose = false, MaxBodyBytes = 1 << 20 };
        Plain = await K2Server.StartAsync(options, PlainService);
        Scripted = await K2Server.StartAsync(options, ScriptedService);
        PlainClient = new HttpClient { BaseAddress = new Uri(Plain.Address) };
        ScriptedClient = new HttpClient { BaseAddress = new Uri(Scripted.Address) };
    }

    public async Task DisposeAsync()
    {
        PlainClient.Dispose();
        ScriptedClient.Dispose();
        await Plain.DisposeAsync();
        await Scripted.DisposeAsync();
        Host.Dispose();
    }

    /// <summary>Waits until the engine runs nothing and holds no blocks (cancellation is asynchronous over
    /// HTTP).</summary>
    public async Task<(int Running, int UsedBlocks)> WaitForIdleAsync()
    {
        for (int i = 0; i < 200 && (Host.Engine.RunningSequences > 0 || Host.Engine.Pool.InUse > 0); i++)
            await Task.Delay(25);
        return (Host.Engine.RunningSequences, Host.Engine.Pool.InUse);
    }

    public static StringContent Json(string json) => new(
        json, Encoding.UTF8, new MediaTypeHeaderValue("application/json"));

    public static StringContent Json(JsonNode json) => Json(json.ToJsonString());
}

[CollectionDefinition(Name)]
public sealed class ServerCollection : ICollectionFixture<ServerFixture>
{
    public const string Name = "k2 serve";
}

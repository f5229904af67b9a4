// `k2 serve`: the OpenAI-compatible HTTP server (src/K2Bench/Serve). Listens first (so /health can say 503
// while loading), loads the model with a progress line, prints the address, and serves until Ctrl+C or SIGTERM,
// when it stops accepting, ends open streams with an error event and exits 0.
using CommandLine;
using K2Bench.Serve;
using K2Native.Serving;

namespace K2Bench;

[Verb("serve", HelpText = "Serve the model over an OpenAI-compatible HTTP API (/v1/chat/completions, /v1/completions, "
    + "/v1/models, /health, /metrics, /tokenize, /detokenize).")]
internal sealed class ServeCommand : SamplingArguments, ICommand
{
    [Option("host", Default = "127.0.0.1", HelpText = "Address to listen on (loopback by default; 0.0.0.0 for all "
        + "interfaces).")]
    public string Host { get; set; } = "127.0.0.1";

    [Option("port", Default = 8000, HelpText = "TCP port.")]
    public int Port { get; set; }

    [Option("api-key", HelpText = "Require \"Authorization: Bearer KEY\" on /v1 and the tokenizer routes.")]
    public string? ApiKey { get; set; }

    [Option("served-model-name", HelpText = "Model name in /v1/models and responses (default: the checkpoint "
        + "directory's name).")]
    public string? ServedModelName { get; set; }

    [Option("max-queue", Default = 64, HelpText = "Requests that may wait beyond the running ones; more get 429 with "
        + "Retry-After.")]
    public int MaxQueue { get; set; }

    [Option("max-sequences", Default = 8, HelpText = "Sequences the engine runs at once (continuous batching).")]
    public int MaxSequences { get; set; }

    [Option("max-body-mb", Default = 8, HelpText = "Largest request body in MiB; larger ones get 413.")]
    public int MaxBodyMb { get; set; }

    [Option("scripted-test-model", Hidden = true, HelpText = "TEST ONLY: force scripted answers (reasoning, a "
        + "greeting, a call of the first tool, an answer after a tool result) so client tests can exercise tool "
        + "calls on a random checkpoint.")]
    public bool ScriptedTestModel { get; set; }

    public int Run()
    {
        if (Port is < 0 or > 65535) throw new ArgumentException($"--port {Port}: expected 0 to 65535");
        if (MaxQueue < 0) throw new ArgumentException($"--max-queue {MaxQueue}: expected 0 or more");
        if (MaxBodyMb < 1) throw new ArgumentException($"--max-body-mb {MaxBodyMb}: expected at least 1");
        var sampling = Sampling();
        var options = new ServerOptions
        {
            Host = Host,
            Port = Port,
            ApiKey = ApiKey,
            MaxQueue = MaxQueue,
            MaxBodyBytes = (long)MaxBodyMb << 20
        };
        return RunAsync(options, sampling).GetAwaiter().GetResult();
    }

    private async Task<int> RunAsync(ServerOptions options, K2Native.Runtime.SamplingParams sampling)
    {
        await using var server = await K2Server.StartAsync(options);
        Console.Error.WriteLine(
            $"k2 serve: listening on {server.Address} (loading the model; /health says 503 until ready)");
        string directory = ModelPaths.Resolve(Model);
        using var host = LoadModel(server.Stopping);
        if (host is null) return 0;
        server.State.Service = new ChatCompletionService(host.Engine, host.Template, new ServingDefaults
        {
            ModelName = ServedModelName
                ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory))),
            Sampling = sampling,
            MaxTokens = Preset().MaxTokens,
        })
        {
            ConstraintOverride = ScriptedTestModel ? new ScriptedAssistant(host.Tokenizer).For : null,
        };
        if (ScriptedTestModel)
            Console.Error.WriteLine("k2 serve: TEST ONLY: --scripted-test-model forces scripted chat answers");
        Console.Error.WriteLine(
            $"k2 serve: ready: {server.Address}/v1 serves \"{server.State.Service.Defaults.ModelName}\" "
            + $"({host.Template.Format} format, context {host.Engine.ContextLength} tokens)");
        await server.WaitForShutdownAsync();
        Console.Error.WriteLine("k2 serve: stopped");
        return 0;
    }

    private K2Native.Runtime.ModelHost? LoadModel(CancellationToken stopping)
    {
        int last = -1;
        var host = OpenWith(EngineOptions() with { MaxSequences = MaxSequences }, (done, total) =>
        {
            int percent = total == 0 ? 100 : done * 100 / total;
            if (percent / 10 == last / 10) return;
            last = percent;
            Console.Error.Write($"\rk2 serve: loading layers {done}/{total}");
            if (done == total) Console.Error.WriteLine();
        });
        if (!stopping.IsCancellationRequested) return host;
        host.Dispose();
        return null;
    }
}

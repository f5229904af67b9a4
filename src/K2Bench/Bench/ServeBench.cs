// `k2 bench serve`: load on the OpenAI-compatible server over loopback. Starts `k2 serve` in-process on a free port
// (or uses --url), takes each prompt's solo answer at temperature 0, then runs --clients concurrent streaming
// clients x --requests requests each. Checks that every request completed or got a 429, that each completed
// answer equals its prompt's solo answer, and that no KV block leaks (/metrics back to zero running sequences and
// used blocks); prints requests/s, generated tokens/s, time to first token and inter-token latency p50/p99.
// Exit 1 when a check fails.
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using CommandLine;
using K2Bench.Serve;
using K2Native.Runtime;
using K2Native.Serving;
using static K2Bench.Bench.BenchText;

namespace K2Bench.Bench;

[Verb("serve", HelpText = "Load on k2 serve over loopback: N concurrent streaming clients; checks answers against solo "
    + "runs and KV blocks for leaks; prints throughput, TTFT and inter-token latency.")]
internal sealed class ServeBench : EngineArguments, IBenchCommand
{
    [Option("url", HelpText = "A running server's address (e.g. http://127.0.0.1:8000); default: start one in-process "
        + "on a free loopback port.")]
    public string? Url { get; set; }

    [Option("clients", Default = 32, HelpText = "Concurrent streaming clients.")]
    public int Clients { get; set; }

    [Option("requests", Default = 4, HelpText = "Requests each client sends, one after another.")]
    public int Requests { get; set; }

    [Option(
        "prompts", Default = 8, HelpText = "Distinct prompts the requests cycle through (each answered solo first).")]
    public int Prompts { get; set; }

    [Option("max-tokens", Default = 32, HelpText = "Tokens each request generates at most (temperature 0).")]
    public int MaxTokens { get; set; }

    [Option("max-sequences", Default = 8, HelpText = "In-process server: sequences the engine runs at once.")]
    public int MaxSequences { get; set; }

    [Option("max-queue", Default = 64, HelpText = "In-process server: requests that may wait before new ones get 429.")]
    public int MaxQueue { get; set; }

    public int Run()
    {
        if (Clients < 1 || Requests < 1 || Prompts < 1 || MaxTokens < 1)
            throw new ArgumentException("--clients, --requests, --prompts and --max-tokens must be at least 1");
        return RunAsync().GetAwaiter().GetResult();
    }

    private async Task<int> RunAsync()
    {
        ModelHost? host = null;
        K2Server? server = null;
        try
        {
            string url = Url?.TrimEnd('/') ?? "";
            if (Url is null)
            {
                host = OpenWith(EngineOptions() with { MaxSequences = MaxSequences });
                var service = new ChatCompletionService(
                    host.Engine, host.Template, new ServingDefaults { ModelName = "bench" });
                server = await K2Server.StartAsync(
                    new ServerOptions { Port = 0, Verbose = false, MaxQueue = MaxQueue }, service);
                url = server.Address;
            }
            using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Clients + 4 })
            {
                Timeout = TimeSpan.FromMinutes(30)
            };
            return await MeasureAsync(http, url, host);
        }
        finally
        {
            if (server is not null) await server.DisposeAsync();
            host?.Dispose();
        }
    }

    private async Task<int> MeasureAsync(HttpClient http, string url, ModelHost? host)
    {
        var solo = new string[Prompts];
        for (int p = 0; p < Prompts; p++)
        {
            var answer = await StreamingClient.SendAsync(http, url, Request(p));
            if (answer.Status != 200)
                throw new InvalidOperationException(
                    $"the solo request for prompt {p} got HTTP {answer.Status}: {answer.Text}");
            solo[p] = answer.Text;
        }

        var clock = Stopwatch.StartNew();
        var clients = Enumerable.Range(0, Clients).Select(c => Task.Run(async () =>
        {
            var answers = new List<(int Prompt, StreamedAnswer Answer)>();
            for (int r = 0; r < Requests; r++)
            {
                int prompt = (c * Requests + r) % Prompts;
                answers.Add((prompt, await StreamingClient.SendAsync(http, url, Request(prompt))));
            }
            return answers;
        })).ToArray();
        var results = (await Task.WhenAll(clients)).SelectMany(a => a).ToList();
        double seconds = clock.Elapsed.TotalSeconds;

        var problems = new List<string>();
        var completed = results.Where(r => r.Answer.Status == 200).ToList();
        int refused = results.Count(r => r.Answer.Status == 429);
        foreach (var (prompt, answer) in results)
        {
            if (answer.Status is not (200 or 429)) problems.Add($"HTTP {answer.Status}: {answer.Text}");
            else if (answer.Status == 200 && !answer.Done)
                problems.Add($"prompt {prompt}: the stream ended without [DONE]");
            else if (answer.Status == 200 && answer.Text != solo[prompt])
                problems.Add($"prompt {prompt}: the answer under load differs from the solo answer");
        }
        var (running, used) = await IdleAsync(http, url);
        if (running != 0 || used != 0)
            problems.Add(
                $"after the load /metrics shows {running} running sequences and {used} used KV blocks (expected 0 and "
                + "0)");

        var ttft = completed
            .Where(r => r.Answer.DeltaSeconds.Count > 0)
            .Select(r => r.Answer.DeltaSeconds[0])
            .Order()
            .ToArray();
        var itl = completed
            .SelectMany(r => r.Answer.DeltaSeconds.Zip(r.Answer.DeltaSeconds.Skip(1), (a, b) => b - a))
            .Order()
            .ToArray();
        long tokens = completed.Sum(r => (long)r.Answer.GeneratedTokens);
        var o = Console.Out;
        o.WriteLine(Invariant($"serve load: {Clients} clients x {Requests} streaming requests, {Prompts} prompts, max_tokens {MaxTokens}, temperature 0, {(host is null ? url : $"in-process server, model {ModelPaths.Resolve(Model)}, {Backend}, max {MaxSequences} sequences")}"));
        o.WriteLine(Invariant($"requests: {completed.Count} completed, {refused} refused with 429, {results.Count - completed.Count - refused} failed; {seconds:F2} s"));
        o.WriteLine(Invariant($"throughput: {completed.Count / seconds:F2} requests/s, {tokens / seconds:F1} generated tokens/s ({tokens} tokens)"));
        o.WriteLine(Invariant($"time to first token: p50 {Percentile(ttft, 0.5) * 1e3:F1} ms, p99 {Percentile(ttft, 0.99) * 1e3:F1} ms"));
        o.WriteLine(Invariant($"inter-token latency: p50 {Percentile(itl, 0.5) * 1e3:F2} ms, p99 {Percentile(itl, 0.99) * 1e3:F2} ms"));
        o.WriteLine(Invariant($"answers equal to the solo answers: {completed.Count(r => r.Answer.Text == solo[r.Prompt])} of {completed.Count}; KV blocks after the load: {used} used, {running} running sequences"));
        foreach (string problem in problems.Distinct().Take(10))
            Console.Error.WriteLine($"k2 bench serve: FAIL: {problem}");
        return problems.Count == 0 ? 0 : 1;
    }

    /// <summary>A chat request: a shared system prompt (prefix reuse across requests) and a question of its own per
    /// prompt.</summary>
    private JsonObject Request(int prompt) => new()
    {
        ["messages"] = new JsonArray(
            new JsonObject { ["role"] = "system", ["content"] = "You are a helpful assistant on a benchmark run. "
                + "Answer briefly and precisely." },
            new JsonObject { ["role"] = "user", ["content"] = $"Question {prompt}: "
                + $"{string.Join(' ', Enumerable.Repeat("tell me about the number", 1 + prompt % 5))} "
                + $"{prompt * 37}." }),
        ["max_tokens"] = MaxTokens,
        ["temperature"] = 0,
    };

    /// <summary>/metrics' running sequences and used blocks once they are back to zero (cancellation is asynchronous),
    /// or after 10 s.</summary>
    private static async Task<(long Running, long Used)> IdleAsync(HttpClient http, string url)
    {
        (long, long) last = (-1, -1);
        for (int i = 0; i < 400; i++)
        {
            string metrics = await http.GetStringAsync($"{url}/metrics");
            last = (Gauge(metrics, "k2_running_sequences"), Gauge(metrics, "k2_kv_blocks_used"));
            if (last == (0, 0)) break;
            await Task.Delay(25);
        }
        return last;
    }

    private static long Gauge(string metrics, string name) =>
        metrics.Split('\n').FirstOrDefault(l => l.StartsWith(name + " ", StringComparison.Ordinal)) is { } line
            ? long.Parse(line[(name.Length + 1)..], CultureInfo.InvariantCulture)
            : throw new InvalidOperationException($"/metrics has no {name}");
}

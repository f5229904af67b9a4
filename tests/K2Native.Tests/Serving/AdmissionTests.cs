// Admission on a live loopback server: --api-key refuses a missing or wrong key with 401 (health stays open),
// and a full queue answers 429 with Retry-After while the running request still completes.
using System.Net;
using System.Net.Http.Headers;
using K2Bench.Serve;
using K2Native.Backends.Cpu;
using K2Native.Runtime;
using K2Native.Serving;

namespace K2Native.Tests.Serving;

public sealed class AdmissionTests
{
    private const string Hello = """{"messages": [{"role": "user", "content": "hi"}], "max_tokens": 2}""";

    [Fact]
    public async Task AnApiKeyIsRequiredOnV1RoutesOnly()
    {
        using var host = ModelHost.Open(
            ServerFixture.Bundled, new CpuBackend(), new EngineOptions { KvCacheBytes = 4L << 20 });
        await using var server = await K2Server.StartAsync(
            new ServerOptions { Port = 0, ApiKey = "sesame", Verbose = false },
            new ChatCompletionService(host.Engine, host.Template));
        using var client = new HttpClient { BaseAddress = new Uri(server.Address) };

        using var none = await client.PostAsync("/v1/chat/completions", ServerFixture.Json(Hello));
        await MalformedRequestTests.AssertOpenAIError(none, 401, null);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "wrong");
        using var wrong = await client.GetAsync("/v1/models");
        await MalformedRequestTests.AssertOpenAIError(wrong, 401, null);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health")).StatusCode);

        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "sesame");
        using var ok = await client.PostAsync("/v1/chat/completions", ServerFixture.Json(Hello));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Fact]
    public async Task AFullQueueAnswers429WithRetryAfter()
    {
        using var host = ModelHost.Open(
            ServerFixture.Bundled, new CpuBackend(), new EngineOptions { KvCacheBytes = 16L << 20, MaxSequences = 1 });
        await using var server = await K2Server.StartAsync(
            new ServerOptions { Port = 0, MaxQueue = 0, Verbose = false },
            new ChatCompletionService(host.Engine, host.Template));
        using var client = new HttpClient { BaseAddress = new Uri(server.Address) };

        // The slot is taken before the prompt is read and the stream's headers go out before generation starts, so
        // a long prompt holds it for its whole prefill (about a second here): a short one let the random model
        // sample its end of sequence within milliseconds, and under a loaded test run the second request sometimes
        // came after the first had finished.
        string prompt = string.Join(' ', Enumerable.Repeat("long", 800));
        using var first = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = ServerFixture.Json(
                $$"""{"messages": [{"role": "user", "content": "{{prompt}}"}], "max_tokens": 400, "stream": true}"""),
        };
        using var running = await client.SendAsync(first, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, running.StatusCode);

        using var refused = await client.PostAsync("/v1/chat/completions", ServerFixture.Json(Hello));
        Assert.Equal("1", refused.Headers.GetValues("Retry-After").Single());
        await MalformedRequestTests.AssertOpenAIError(refused, 429, null);

        var events = await Sse.ReadAllAsync(running);
        Assert.Equal("[DONE]", events[^1]);
        using var after = await client.PostAsync("/v1/chat/completions", ServerFixture.Json(Hello));
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }
}

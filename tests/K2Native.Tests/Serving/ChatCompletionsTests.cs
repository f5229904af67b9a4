// /v1/chat/completions on a real loopback server over the bundled tiny model: streaming and not agree at
// temperature 0, usage reports prefix-cache hits, no marker text reaches any field, a client that disconnects
// frees its sequence and blocks, and the small endpoints answer in their documented shapes.
using System.Net;
using System.Text.Json.Nodes;
using K2Bench.Serve;

namespace K2Native.Tests.Serving;

[Collection(ServerCollection.Name)]
public sealed class ChatCompletionsTests(ServerFixture server)
{
    private const string Hello =
        """{"messages": [{"role": "user", "content": "hello"}], "max_tokens": 24, "temperature": 0}""";

    [Fact]
    public async Task StreamingAndNonStreamingGiveTheSameAnswerAtTemperatureZero()
    {
        using var whole = await server.PlainClient.PostAsync("/v1/chat/completions", ServerFixture.Json(Hello));
        Assert.Equal(HttpStatusCode.OK, whole.StatusCode);
        var body = JsonNode.Parse(await whole.Content.ReadAsStringAsync())!;
        Assert.Equal("chat.completion", body["object"]!.GetValue<string>());
        var message = body["choices"]![0]!["message"]!;

        var streamed = JsonNode.Parse(Hello)!;
        streamed["stream"] = true;
        streamed["stream_options"] = new JsonObject { ["include_usage"] = true };
        using var stream = await server.PlainClient.PostAsync("/v1/chat/completions", ServerFixture.Json(streamed));
        Assert.Equal("text/event-stream", stream.Content.Headers.ContentType!.MediaType);
        var events = await Sse.ReadAllAsync(stream);
        Assert.Equal("[DONE]", events[^1]);
        var chunks = Sse.Chunks(events);
        Assert.Equal("assistant", chunks[0]["choices"]![0]!["delta"]!["role"]!.GetValue<string>());
        var (reasoning, content, finish) = Sse.Fold(chunks);

        Assert.Equal(message["content"]?.GetValue<string>() ?? "", content);
        Assert.Equal(message["reasoning_content"]?.GetValue<string>() ?? "", reasoning);
        Assert.Equal(body["choices"]![0]!["finish_reason"]!.GetValue<string>(), finish);
        Assert.Equal("length", finish);

        var usageChunk = chunks[^1];
        Assert.Empty(usageChunk["choices"]!.AsArray());
        var usage = usageChunk["usage"]!;
        Assert.Equal(24, usage["completion_tokens"]!.GetValue<int>());
        Assert.Equal(body["usage"]!["prompt_tokens"]!.GetValue<int>(), usage["prompt_tokens"]!.GetValue<int>());
        Assert.True(
            usage["prompt_tokens_details"]!["cached_tokens"]!.GetValue<int>() > 0,
            "the second identical prompt reuses cached blocks");
        Assert.Equal(24, usage["completion_tokens_details"]!["reasoning_tokens"]!.GetValue<int>());
    }

    [Fact]
    public async Task NoMarkerTextReachesAnyChunk()
    {
        var request = JsonNode.Parse("""{"messages": [{"role": "user", "content": "say anything"}], "max_tokens": 200, "temperature": 1, "seed": 7, "stream": true}""")!;
        using var response = await server.PlainClient.PostAsync("/v1/chat/completions", ServerFixture.Json(request));
        var events = await Sse.ReadAllAsync(response);
        foreach (var e in events)
            Assert.DoesNotMatch(
                "<\\|[a-z_0-9]+\\|>|<think>|</think>", JsonNode.Parse(e == "[DONE]" ? "{}" : e)!.ToJsonString());
        Assert.Equal("[DONE]", events[^1]);
    }

    [Fact]
    public async Task SeedMakesSamplingReproducible()
    {
        const string seeded =
            """{"messages": [{"role": "user", "content": "hi"}], "max_tokens": 16, "temperature": 1, "seed": 42}""";
        async Task<string> Text()
        {
            using var r = await server.PlainClient.PostAsync("/v1/chat/completions", ServerFixture.Json(seeded));
            return JsonNode.Parse(await r.Content.ReadAsStringAsync())!["choices"]![0]!["message"]!.ToJsonString();
        }
        Assert.Equal(await Text(), await Text());
    }

    [Fact]
    public async Task AbortingAStreamFreesTheSequenceAndItsBlocks()
    {
        var request = JsonNode.Parse(
            """{"messages": [{"role": "user", "content": "go on forever"}], "max_tokens": 3000, "stream": true}""")!;
        using (var message = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = ServerFixture.Json(request)
        })
        using (var response = await server.PlainClient.SendAsync(message, HttpCompletionOption.ResponseHeadersRead))
        {
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            Assert.StartsWith("data: ", await reader.ReadLineAsync());
        }
        Assert.Equal((0, 0), await server.WaitForIdleAsync());
        var metrics = await server.PlainClient.GetStringAsync("/metrics");
        Assert.Contains("\nk2_running_sequences 0\n", metrics);
        Assert.Contains("\nk2_kv_blocks_used 0\n", metrics);
        using var next = await server.PlainClient.PostAsync("/v1/chat/completions", ServerFixture.Json(Hello));
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
    }

    [Fact]
    public async Task StopStringsCutTheAnswer()
    {
        using var first = await server.ScriptedClient.PostAsync("/v1/chat/completions",
            ServerFixture.Json("""{"messages": [{"role": "user", "content": "hi"}], "stop": ["help"]}"""));
        var message = JsonNode.Parse(await first.Content.ReadAsStringAsync())!["choices"]![0]!;
        Assert.Equal(
            ScriptedAssistant.Greeting[..ScriptedAssistant.Greeting.IndexOf("help", StringComparison.Ordinal)],
            message["message"]!["content"]!.GetValue<string>());
        Assert.Equal("stop", message["finish_reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task ModelsHealthTokenizeAndMetricsAnswer()
    {
        var models = JsonNode.Parse(await server.PlainClient.GetStringAsync("/v1/models"))!;
        Assert.Equal("tiny", models["data"]![0]!["id"]!.GetValue<string>());
        Assert.Equal("""{"status":"ok"}""", await server.PlainClient.GetStringAsync("/health"));

        using var tokenized = await server.PlainClient.PostAsync(
            "/tokenize", ServerFixture.Json("""{"prompt": "hello world"}"""));
        var tokens = JsonNode.Parse(await tokenized.Content.ReadAsStringAsync())!;
        Assert.Equal(
            server.Host.Tokenizer.Encode("hello world"), tokens["tokens"]!.AsArray().Select(t => t!.GetValue<int>()));
        using var back = await server.PlainClient.PostAsync(
            "/detokenize", ServerFixture.Json(new JsonObject { ["tokens"] = tokens["tokens"]!.DeepClone() }));
        Assert.Equal(
            "hello world", JsonNode.Parse(await back.Content.ReadAsStringAsync())!["prompt"]!.GetValue<string>());

        using var chat = await server.PlainClient.PostAsync(
            "/tokenize", ServerFixture.Json("""{"messages": [{"role": "user", "content": "hi"}]}"""));
        int count = JsonNode.Parse(await chat.Content.ReadAsStringAsync())!["count"]!.GetValue<int>();
        Assert.Equal(
            server.Host.Tokenizer.Encode(
                server.Host.Template.Render([K2Native.Text.ChatMessage.User("hi")], null, true)).Length,
            count);

        string metrics = await server.PlainClient.GetStringAsync("/metrics");
        foreach (string name in (string[])[
                     "k2_requests_total",
                     "k2_waiting_sequences",
                     "k2_kv_blocks_free",
                     "k2_prompt_tokens_reused_total",
                     "k2_generated_tokens_total",
                     "k2_time_to_first_token_seconds_bucket",
                     "k2_inter_token_latency_seconds_count"])
            Assert.Contains(name, metrics);
    }
}

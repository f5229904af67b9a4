// POST /v1/completions (legacy text completions) on a real loopback server over the bundled tiny model: text and
// token-id prompts give the same continuation, streaming and not agree at temperature 0, echo and stop work,
// usage reports prefix-cache hits, and malformed requests get a 4xx in OpenAI's shape naming the field.
using System.Net;
using System.Text.Json.Nodes;

namespace K2Native.Tests.Serving;

[Collection(ServerCollection.Name)]
public sealed class CompletionsTests(ServerFixture server)
{
    private const string Prompt = "The capital of France is";

    private async Task<JsonNode> Complete(JsonNode request)
    {
        using var response = await server.PlainClient.PostAsync("/v1/completions", ServerFixture.Json(request));
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonNode.Parse(text)!;
    }

    private static JsonObject Request(JsonNode prompt, int maxTokens = 12) =>
        new() { ["prompt"] = prompt, ["max_tokens"] = maxTokens, ["temperature"] = 0 };

    [Fact]
    public async Task TextAndTokenIdPromptsGiveTheSameContinuation()
    {
        var byText = await Complete(Request(Prompt));
        Assert.Equal("text_completion", byText["object"]!.GetValue<string>());
        Assert.StartsWith("cmpl-", byText["id"]!.GetValue<string>());
        var choice = byText["choices"]![0]!;
        Assert.Equal("length", choice["finish_reason"]!.GetValue<string>());
        Assert.Null(choice["logprobs"]);

        int[] ids = server.Host.Tokenizer.Encode(Prompt);
        var byIds = await Complete(Request(new JsonArray([.. ids.Select(i => JsonValue.Create(i))])));
        Assert.Equal(choice["text"]!.GetValue<string>(), byIds["choices"]![0]!["text"]!.GetValue<string>());
        var usage = byIds["usage"]!;
        Assert.Equal(ids.Length, usage["prompt_tokens"]!.GetValue<int>());
        Assert.Equal(12, usage["completion_tokens"]!.GetValue<int>());
        Assert.Equal(ids.Length + 12, usage["total_tokens"]!.GetValue<int>());
        var nested = await Complete(Request(new JsonArray(new JsonArray([.. ids.Select(i => JsonValue.Create(i))]))));
        Assert.Equal(choice["text"]!.GetValue<string>(), nested["choices"]![0]!["text"]!.GetValue<string>());
    }

    [Fact]
    public async Task StreamingAndNonStreamingAgreeAtTemperatureZero()
    {
        string prompt = string.Concat(Enumerable.Repeat("Once upon a time there was a server. ", 8));
        var whole = await Complete(Request(prompt, 20));
        var streamed = Request(prompt, 20);
        streamed["stream"] = true;
        streamed["stream_options"] = new JsonObject { ["include_usage"] = true };
        using var response = await server.PlainClient.PostAsync("/v1/completions", ServerFixture.Json(streamed));
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        var events = await Sse.ReadAllAsync(response);
        Assert.Equal("[DONE]", events[^1]);
        var chunks = Sse.Chunks(events);
        Assert.All(chunks, c => Assert.Equal("text_completion", c["object"]!.GetValue<string>()));
        string text = string.Concat(
            chunks.Where(c => c["choices"]!.AsArray().Count > 0).Select(
                c => c["choices"]![0]!["text"]!.GetValue<string>()));
        Assert.Equal(whole["choices"]![0]!["text"]!.GetValue<string>(), text);
        Assert.Equal("length", chunks[^2]["choices"]![0]!["finish_reason"]!.GetValue<string>());
        Assert.Empty(chunks[^1]["choices"]!.AsArray());
        var usage = chunks[^1]["usage"]!;
        Assert.Equal(20, usage["completion_tokens"]!.GetValue<int>());
        Assert.True(
            usage["prompt_tokens_details"]!["cached_tokens"]!.GetValue<int>() > 0,
            "the second identical prompt reuses cached blocks");
    }

    [Fact]
    public async Task EchoPrependsThePromptAndStopCutsTheText()
    {
        var plain = (await Complete(Request(Prompt, 16)))["choices"]![0]!["text"]!.GetValue<string>();
        var echoed = Request(Prompt, 16);
        echoed["echo"] = true;
        Assert.Equal(Prompt + plain, (await Complete(echoed))["choices"]![0]!["text"]!.GetValue<string>());

        string stop = plain.Trim().Length >= 2 ? plain.Trim()[^2..] : plain.Trim();
        Assert.False(stop.Length == 0, $"the model wrote only spaces: \"{plain}\"");
        var stopped = Request(Prompt, 16);
        stopped["stop"] = stop;
        var choice = (await Complete(stopped))["choices"]![0]!;
        Assert.Equal(plain[..plain.IndexOf(stop, StringComparison.Ordinal)], choice["text"]!.GetValue<string>());
        Assert.Equal("stop", choice["finish_reason"]!.GetValue<string>());
    }

    /// <summary>name → (body, expected status, expected param).</summary>
    private static readonly Dictionary<string, (string Body, int Status, string? Param)> Malformed = new()
    {
        ["prompt missing"] = ("""{"max_tokens": 3}""", 400, "prompt"),
        ["prompt a number"] = ("""{"prompt": 5}""", 400, "prompt"),
        ["prompt empty"] = ("""{"prompt": ""}""", 400, "prompt"),
        ["prompt ids mixed with text"] = ("""{"prompt": [1, "a"]}""", 400, "prompt[1]"),
        ["prompt id negative"] = ("""{"prompt": [1, -2]}""", 400, "prompt[1]"),
        ["prompt id outside the vocabulary"] = ("""{"prompt": [1, 99999]}""", 400, "prompt[1]"),
        ["two prompts"] = ("""{"prompt": ["a", "b"]}""", 400, "prompt"),
        ["n of two"] = ("""{"prompt": "a", "n": 2}""", 400, "n"),
        ["best_of of two"] = ("""{"prompt": "a", "best_of": 2}""", 400, "best_of"),
        ["suffix"] = ("""{"prompt": "a", "suffix": "b"}""", 400, "suffix"),
        ["logprobs over 20"] = ("""{"prompt": "a", "logprobs": 21}""", 400, "logprobs"),
        ["logprobs true"] = ("""{"prompt": "a", "logprobs": true}""", 400, "logprobs"),
        ["echo with logprobs"] = ("""{"prompt": "a", "echo": true, "logprobs": 1}""", 400, "echo"),
        ["max_tokens beyond the context"] = ("""{"prompt": "a", "max_tokens": 5000}""", 400, "max_tokens"),
        ["temperature negative"] = ("""{"prompt": "a", "temperature": -1}""", 400, "temperature"),
        ["stream_options without stream"] = (
            """{"prompt": "a", "stream_options": {"include_usage": true}}""", 400, "stream_options"),
        ["unknown model"] = ("""{"prompt": "a", "model": "gpt-3.5-turbo-instruct"}""", 404, "model"),
        ["not JSON"] = ("{", 400, null),
    };

    public static TheoryData<string> MalformedNames => new(Malformed.Keys);

    [Theory]
    [MemberData(nameof(MalformedNames))]
    public async Task MalformedRequestsAreRefusedInOpenAIsShape(string name)
    {
        var (body, status, param) = Malformed[name];
        using var response = await server.PlainClient.PostAsync("/v1/completions", ServerFixture.Json(body));
        await MalformedRequestTests.AssertOpenAIError(response, status, param);
    }
}

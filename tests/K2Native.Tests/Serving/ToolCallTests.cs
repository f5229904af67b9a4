// Tool calls over HTTP with the scripted assistant (the engine emits K2's real marker tokens): ids stay K2's
// functions.NAME:N with N counted across the conversation, finish_reason is tool_calls, a stream's first delta
// of a call carries id, type and name and later ones the arguments, and no marker text leaks. tool_choice is
// enforced by the token constraint even on the random tiny model.
using System.Net;
using System.Text.Json.Nodes;
using K2Bench.Serve;

namespace K2Native.Tests.Serving;

[Collection(ServerCollection.Name)]
public sealed class ToolCallTests(ServerFixture server)
{
    private static readonly JsonArray Tools = (JsonArray)JsonNode.Parse(
        """[{"type": "function", "function": {"name": "get_weather", "description": "Weather of a city", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]""")!;

    private static JsonObject Request(bool stream, params JsonObject[] messages) => new()
    {
        ["messages"] = new JsonArray([.. messages]),
        ["tools"] = Tools.DeepClone(),
        ["stream"] = stream,
    };

    private static JsonObject User(string text) => new() { ["role"] = "user", ["content"] = text };

    [Fact]
    public async Task ANonStreamingCallKeepsK2sIdAndEndsWithToolCalls()
    {
        using var response = await server.ScriptedClient.PostAsync(
            "/v1/chat/completions", ServerFixture.Json(Request(false, User("weather in Paris?"))));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var choice = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["choices"]![0]!;
        Assert.Equal("tool_calls", choice["finish_reason"]!.GetValue<string>());
        var message = choice["message"]!;
        Assert.Null(message["content"]);
        Assert.Equal(ScriptedAssistant.Reasoning, message["reasoning_content"]!.GetValue<string>());
        var call = message["tool_calls"]![0]!;
        Assert.Equal("functions.get_weather:0", call["id"]!.GetValue<string>());
        Assert.Equal("function", call["type"]!.GetValue<string>());
        Assert.Equal("get_weather", call["function"]!["name"]!.GetValue<string>());
        Assert.Equal("{\"city\": \"Paris\"}", call["function"]!["arguments"]!.GetValue<string>());
    }

    [Fact]
    public async Task AStreamedCallStartsWithItsIdThenSendsArgumentFragments()
    {
        using var response = await server.ScriptedClient.PostAsync(
            "/v1/chat/completions", ServerFixture.Json(Request(true, User("weather?"))));
        var events = await Sse.ReadAllAsync(response);
        foreach (var e in events) Assert.DoesNotMatch("<\\|[a-z_0-9]+\\|>|<think>|</think>", e);
        var calls = Sse.Chunks(events).SelectMany(c => c["choices"]!.AsArray())
            .Select(c => c!["delta"]!["tool_calls"]).OfType<JsonArray>().Select(a => a[0]!).ToList();
        Assert.Equal("functions.get_weather:0", calls[0]["id"]!.GetValue<string>());
        Assert.Equal("function", calls[0]["type"]!.GetValue<string>());
        Assert.Equal("get_weather", calls[0]["function"]!["name"]!.GetValue<string>());
        Assert.All(calls, c => Assert.Equal(0, c["index"]!.GetValue<int>()));
        Assert.All(calls.Skip(1), c => Assert.Null(c["id"]));
        Assert.Equal(
            "{\"city\": \"Paris\"}", string.Concat(calls.Select(c => c["function"]!["arguments"]!.GetValue<string>())));
        Assert.Equal("tool_calls", Sse.Fold(Sse.Chunks(events)).Finish);
    }

    [Fact]
    public async Task TheCallCounterRunsAcrossTheConversationAndAToolResultIsAnswered()
    {
        var history = new JsonObject[]
        {
            User("weather?"),
            new() { ["role"] = "assistant", ["content"] = "", ["tool_calls"] = JsonNode.Parse("""[{"id": "functions.get_weather:0", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}}]""") },
            new() { ["role"] = "tool", ["tool_call_id"] = "functions.get_weather:0", ["content"] = "21 degrees" },
        };
        using var answer = await server.ScriptedClient.PostAsync(
            "/v1/chat/completions", ServerFixture.Json(Request(false, history)));
        var choice = JsonNode.Parse(await answer.Content.ReadAsStringAsync())!["choices"]![0]!;
        Assert.Equal(ScriptedAssistant.Answer, choice["message"]!["content"]!.GetValue<string>());
        Assert.Equal("stop", choice["finish_reason"]!.GetValue<string>());

        using var again = await server.ScriptedClient.PostAsync("/v1/chat/completions",
            ServerFixture.Json(
                Request(
                    false,
                    [
                        .. history.Select(m => (JsonObject)m.DeepClone()),
                        new JsonObject { ["role"] = "assistant", ["content"] = ScriptedAssistant.Answer },
                        User("and tomorrow?")
                    ])));
        var call = JsonNode.Parse(await again.Content.ReadAsStringAsync())!["choices"]![0]!["message"]!["tool_calls"]![
            0]!;
        Assert.Equal("functions.get_weather:1", call["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task RequiredToolChoiceForcesACallOnTheRandomModel()
    {
        var request = Request(true, User("anything"));
        request["tool_choice"] = "required";
        request["max_tokens"] = 40;
        request["chat_template_kwargs"] = new JsonObject { ["thinking"] = false };
        using var response = await server.PlainClient.PostAsync("/v1/chat/completions", ServerFixture.Json(request));
        var calls = Sse.Chunks(await Sse.ReadAllAsync(response)).SelectMany(c => c["choices"]!.AsArray())
            .Select(c => c!["delta"]!["tool_calls"]).OfType<JsonArray>().ToList();
        Assert.Equal("functions.get_weather:0", calls[0][0]!["id"]!.GetValue<string>());
    }
}

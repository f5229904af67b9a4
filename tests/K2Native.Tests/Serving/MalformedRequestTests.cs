// Malformed requests against a live loopback server: each gets a 4xx in OpenAI's error shape naming the
// parameter at fault, and the server keeps serving afterwards (wrong types, negative and huge numbers, invalid
// UTF-8, a 10 MB body, JSON nested 10,000 deep, a tool result answering no call, unknown roles, ...).
using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace K2Native.Tests.Serving;

[Collection(ServerCollection.Name)]
public sealed class MalformedRequestTests(ServerFixture server)
{
    private const string User = """{"role": "user", "content": "hi"}""";

    private static string Chat(string fields) => $$"""{"messages": [{{User}}], {{fields}}}""";

    /// <summary>name → (body, expected status, expected param or null).</summary>
    private static readonly Dictionary<string, (Func<byte[]> Body, int Status, string? Param)> Cases = new()
    {
        ["truncated JSON"] = (Text("{\"messages\": ["), 400, null),
        ["empty body"] = (Text(""), 400, null),
        ["array body"] = (Text("[]"), 400, null),
        ["null body"] = (Text("null"), 400, null),
        ["messages missing"] = (Text("{}"), 400, "messages"),
        ["messages a string"] = (Text("""{"messages": "hi"}"""), 400, "messages"),
        ["messages empty"] = (Text("""{"messages": []}"""), 400, "messages"),
        ["role missing"] = (Text("""{"messages": [{"content": "hi"}]}"""), 400, "messages[0].role"),
        ["unknown role"] = (Text("""{"messages": [{"role": "wizard", "content": "hi"}]}"""), 400, "messages[0].role"),
        ["role a number"] = (Text("""{"messages": [{"role": 5, "content": "hi"}]}"""), 400, "messages[0].role"),
        ["content a number"] = (
            Text("""{"messages": [{"role": "user", "content": 42}]}"""), 400, "messages[0].content"),
        ["user content null"] = (
            Text("""{"messages": [{"role": "user", "content": null}]}"""), 400, "messages[0].content"),
        ["tool result answering no call"] = (Text($$"""{"messages": [{{User}}, {"role": "tool", "tool_call_id": "functions.f:0", "content": "x"}]}"""), 400, "messages[1].tool_call_id"),
        ["tool call without function"] = (Text($$"""{"messages": [{{User}}, {"role": "assistant", "tool_calls": [{"id": "functions.f:0", "type": "function"}]}]}"""), 400, "messages[1].tool_calls[0].function"),
        ["temperature a string"] = (Text(Chat("\"temperature\": \"hot\"")), 400, "temperature"),
        ["temperature negative"] = (Text(Chat("\"temperature\": -1")), 400, "temperature"),
        ["temperature huge"] = (Text(Chat("\"temperature\": 1e400")), 400, "temperature"),
        ["max_tokens negative"] = (Text(Chat("\"max_tokens\": -5")), 400, "max_tokens"),
        ["max_tokens fractional"] = (Text(Chat("\"max_tokens\": 1.5")), 400, "max_tokens"),
        ["max_tokens huge"] = (Text(Chat("\"max_tokens\": 99999999999999")), 400, "max_tokens"),
        ["max_tokens beyond the context"] = (Text(Chat("\"max_tokens\": 5000")), 400, "max_tokens"),
        ["top_p zero"] = (Text(Chat("\"top_p\": 0")), 400, "top_p"),
        ["top_k a string"] = (Text(Chat("\"top_k\": \"x\"")), 400, "top_k"),
        ["n of two"] = (Text(Chat("\"n\": 2")), 400, "n"),
        ["stream a string"] = (Text(Chat("\"stream\": \"yes\"")), 400, "stream"),
        ["stop a number"] = (Text(Chat("\"stop\": 5")), 400, "stop"),
        ["stop list of numbers"] = (Text(Chat("\"stop\": [1]")), 400, "stop[0]"),
        ["tools a string"] = (Text(Chat("\"tools\": \"x\"")), 400, "tools"),
        ["tool without name"] = (
            Text(Chat("\"tools\": [{\"type\": \"function\", \"function\": {}}]")), 400, "tools[0].function.name"),
        ["tool_choice unknown"] = (Text(Chat("\"tool_choice\": \"sometimes\"")), 400, "tool_choice"),
        ["tool_choice names no tool"] = (Text(
            Chat(
                "\"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"f\"}}], \"tool_choice\": {\"type\": "
                + "\"function\", \"function\": {\"name\": \"g\"}}")), 400, "tool_choice.function.name"),
        ["tool_choice required without tools"] = (Text(Chat("\"tool_choice\": \"required\"")), 400, "tool_choice"),
        ["response_format json_object"] = (
            Text(Chat("\"response_format\": {\"type\": \"json_object\"}")), 400, "response_format"),
        ["logprobs a number"] = (Text(Chat("\"logprobs\": 3")), 400, "logprobs"),
        ["top_logprobs over 20"] = (Text(Chat("\"logprobs\": true, \"top_logprobs\": 21")), 400, "top_logprobs"),
        ["top_logprobs negative"] = (Text(Chat("\"logprobs\": true, \"top_logprobs\": -1")), 400, "top_logprobs"),
        ["top_logprobs without logprobs"] = (Text(Chat("\"top_logprobs\": 2")), 400, "top_logprobs"),
        ["frequency_penalty"] = (Text(Chat("\"frequency_penalty\": 0.5")), 400, "frequency_penalty"),
        ["seed a string"] = (Text(Chat("\"seed\": \"abc\"")), 400, "seed"),
        ["stream_options without stream"] = (
            Text(Chat("\"stream_options\": {\"include_usage\": true}")), 400, "stream_options"),
        ["thinking type unknown"] = (Text(Chat("\"thinking\": {\"type\": \"maybe\"}")), 400, "thinking.type"),
        ["unknown model"] = (Text(Chat("\"model\": \"gpt-4\"")), 404, "model"),
        ["invalid UTF-8"] = (
            () =>
            [
                .. Encoding.UTF8.GetBytes("{\"messages\": [{\"role\": \"user\", \"content\": \""),
                0xC3, 0x28, 0xFF,
                .. Encoding.UTF8.GetBytes("\"}]}")
            ],
            400,
            null),
        ["nested 10,000 deep"] = (
            Text("{\"messages\": " + new string('[', 10_000) + new string(']', 10_000) + "}"), 400, null),
        ["10 MB body"] = (Text(Chat("\"user\": \"" + new string('x', 10 << 20) + "\"")), 413, null),
    };

    public static TheoryData<string> Names => new(Cases.Keys);

    private static Func<byte[]> Text(string s) => () => Encoding.UTF8.GetBytes(s);

    [Theory]
    [MemberData(nameof(Names))]
    public async Task IsRefusedWithA4xxInOpenAIsShape(string name)
    {
        var (body, status, param) = Cases[name];
        using var content = new ByteArrayContent(body());
        content.Headers.ContentType = new("application/json");
        using var response = await server.PlainClient.PostAsync("/v1/chat/completions", content);
        await AssertOpenAIError(response, status, param);
        using var health = await server.PlainClient.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Fact]
    public async Task WrongMethodsAndRoutesAreRefusedInTheSameShape()
    {
        using var get = await server.PlainClient.GetAsync("/v1/chat/completions");
        await AssertOpenAIError(get, 405, null);
        using var missing = await server.PlainClient.PostAsync("/v1/nothing", ServerFixture.Json("{}"));
        await AssertOpenAIError(missing, 404, null);
    }

    [Fact]
    public async Task TheServerKeepsServingAfterEveryCase()
    {
        foreach (var (_, (body, _, _)) in Cases)
        {
            using var content = new ByteArrayContent(body());
            using var refused = await server.PlainClient.PostAsync("/v1/chat/completions", content);
            Assert.InRange((int)refused.StatusCode, 400, 499);
        }
        using var ok = await server.PlainClient.PostAsync(
            "/v1/chat/completions", ServerFixture.Json(Chat("\"max_tokens\": 3")));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal((0, 0), await server.WaitForIdleAsync());
    }

    internal static async Task AssertOpenAIError(HttpResponseMessage response, int status, string? param)
    {
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(status == (int)response.StatusCode, $"expected {status}, got {(int)response.StatusCode}: {text}");
        var error = JsonNode.Parse(text)!["error"]!.AsObject();
        Assert.False(string.IsNullOrEmpty(error["message"]!.GetValue<string>()));
        Assert.False(string.IsNullOrEmpty(error["type"]!.GetValue<string>()));
        Assert.True(error.ContainsKey("param") && error.ContainsKey("code"), text);
        Assert.Equal(param, error["param"]?.GetValue<string>());
    }
}

// One streaming /v1/chat/completions request as `k2 bench serve` makes it: the status, the text (reasoning and
// content, as a client folds the deltas), the finish reason, the usage chunk's generated-token count, and the
// times at which visible deltas arrived (time to first token and the gaps between tokens come from these).
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace K2Bench.Bench;

internal sealed record StreamedAnswer(
    int Status, string Text, string? FinishReason, int GeneratedTokens, bool Done, List<double> DeltaSeconds);

internal static class StreamingClient
{
    /// <summary>Sends <paramref name="request"/> (stream and usage are switched on here) and reads the stream to its
    /// end.</summary>
    public static async Task<StreamedAnswer> SendAsync(HttpClient http, string baseUrl, JsonObject request)
    {
        request["stream"] = true;
        request["stream_options"] = new JsonObject { ["include_usage"] = true };
        var clock = Stopwatch.StartNew();
        using var message = new HttpRequestMessage(HttpMethod.Post, $"{baseUrl}/v1/chat/completions")
        {
            Content = new StringContent(
                request.ToJsonString(), Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
        };
        using var response = await http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead);
        var deltas = new List<double>();
        if (!response.IsSuccessStatusCode)
            return new StreamedAnswer(
                (int)response.StatusCode, await response.Content.ReadAsStringAsync(), null, 0, false, deltas);

        var text = new StringBuilder();
        string? finish = null;
        int generated = 0;
        bool done = false;
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        while (await reader.ReadLineAsync() is { } line)
        {
            if (!line.StartsWith("data: ", StringComparison.Ordinal)) continue;
            string data = line["data: ".Length..];
            if (data == "[DONE]")
            {
                done = true;
                break;
            }
            var chunk = JsonNode.Parse(data)!;
            if (chunk["error"] is { } error)
                throw new InvalidOperationException($"the stream ended with an error: {error.ToJsonString()}");
            generated = chunk["usage"]?["completion_tokens"]?.GetValue<int>() ?? generated;
            if (chunk["choices"] is not JsonArray { Count: > 0 } choices) continue;
            var delta = choices[0]!["delta"]!;
            string piece = (delta["reasoning_content"]?.GetValue<string>() ?? "")
                + (delta["content"]?.GetValue<string>() ?? "")
                           + (delta["tool_calls"]?.ToJsonString() ?? "");
            if (piece.Length > 0)
            {
                deltas.Add(clock.Elapsed.TotalSeconds);
                text.Append(piece);
            }
            finish = choices[0]!["finish_reason"]?.GetValue<string>() ?? finish;
        }
        return new StreamedAnswer(200, text.ToString(), finish, generated, done, deltas);
    }
}

// Reads a server-sent event stream the way OpenAI clients do: "data: " lines, ending at [DONE].
using System.Text.Json.Nodes;

namespace K2Native.Tests.Serving;

internal static class Sse
{
    /// <summary>The raw data of every event, [DONE] included.</summary>
    public static async Task<List<string>> ReadAllAsync(HttpResponseMessage response)
    {
        var events = new List<string>();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        while (await reader.ReadLineAsync() is { } line)
            if (line.StartsWith("data: ", StringComparison.Ordinal)) events.Add(line["data: ".Length..]);
        return events;
    }

    /// <summary>The chunks (JSON) before [DONE].</summary>
    public static List<JsonObject> Chunks(List<string> events) =>
        events.TakeWhile(e => e != "[DONE]").Select(e => (JsonObject)JsonNode.Parse(e)!).ToList();

    /// <summary>Folds chunks into (reasoning, content, finish reason) as a client would.</summary>
    public static (string Reasoning, string Content, string? Finish) Fold(IEnumerable<JsonObject> chunks)
    {
        string reasoning = "", content = "";
        string? finish = null;
        foreach (var c in chunks)
        {
            if (c["choices"] is not JsonArray { Count: > 0 } choices) continue;
            var delta = choices[0]!["delta"]!;
            reasoning += delta["reasoning_content"]?.GetValue<string>() ?? "";
            content += delta["content"]?.GetValue<string>() ?? "";
            finish = choices[0]!["finish_reason"]?.GetValue<string>() ?? finish;
        }
        return (reasoning, content, finish);
    }
}

// Reads a tool list for `k2 chat`: a JSON array of OpenAI tool declarations ({"type": "function", "function":
// {"name", "description", "parameters"}}), or an object with a "tools" array. Each entry is checked for a name.
using System.Text.Json;
using System.Text.Json.Nodes;

namespace K2Bench.Repl;

internal static class ToolFile
{
    public static JsonArray Load(string path)
    {
        if (!File.Exists(path)) throw new IOException($"{path}: file not found");
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(path), documentOptions: new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException e)
        {
            throw new FormatException($"{path}: malformed JSON at line {e.LineNumber + 1}: {e.Message}");
        }
        var tools = root as JsonArray ?? (root as JsonObject)?["tools"] as JsonArray
            ?? throw new FormatException($"{path}: expected a JSON array of tools or an object with a \"tools\" array");
        for (int i = 0; i < tools.Count; i++)
        {
            var name = tools[i]?["function"]?["name"];
            if (name is not JsonValue v || !v.TryGetValue(out string? s) || s.Length == 0)
                throw new FormatException($"{path}: tools[{i}].function.name is missing or not a string");
        }
        return (JsonArray)tools.DeepClone();
    }
}

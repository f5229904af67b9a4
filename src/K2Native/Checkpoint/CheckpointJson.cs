// The one way checkpoint files (safetensors headers, the shard index, config.json, tokenizer_config.json) are
// parsed as JSON. System.Text.Json accepts a lone surrogate escape ("\ud800") or invalid UTF-8 bytes inside a
// string at parse time and throws InvalidOperationException only when the string is read; this reads every key
// and string once up front, so such text becomes a CheckpointException naming the file and the JSON path, and
// every later GetString() or property Name on the document is safe.
using System.Text.Json;

namespace K2Native.Checkpoint;

internal static class CheckpointJson
{
    /// <summary>Parses <paramref name="utf8"/> and checks that every key and string is valid Unicode text.</summary>
    /// <param name="what">How the file's JSON is named in a syntax error, e.g. "header JSON (file bytes
    /// 8..1234)".</param>
    /// <exception cref="CheckpointException">Malformed JSON, too deep, or a key or string that is not valid
    /// text.</exception>
    public static JsonDocument Parse(byte[] utf8, string file, int maxDepth, string what = "JSON")
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8, new JsonDocumentOptions { MaxDepth = maxDepth });
        }
        catch (JsonException e)
        {
            throw CheckpointException.InFile(file,
                $"malformed {what} at line {e.LineNumber + 1}, byte {e.BytePositionInLine} of that line: {e.Message}");
        }
        try
        {
            CheckText(document.RootElement, "", file);
            return document;
        }
        catch
        {
            document.Dispose();
            throw;
        }
    }

    private static void CheckText(JsonElement value, string path, string file)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in value.EnumerateObject())
                {
                    string name;
                    try { name = property.Name; }
                    catch (InvalidOperationException) { throw NotText(file, path, "a key"); }
                    CheckText(property.Value, Join(path, name), file);
                }
                break;
            case JsonValueKind.Array:
                int i = 0;
                foreach (var item in value.EnumerateArray()) CheckText(item, $"{path}[{i++}]", file);
                break;
            case JsonValueKind.String:
                try { _ = value.GetString(); }
                catch (InvalidOperationException) { throw NotText(file, path, "the string"); }
                break;
        }
    }

    private static string Join(string path, string key) => path.Length == 0 ? key : path + "." + key;

    private static CheckpointException NotText(string file, string path, string what) =>
        CheckpointException.ForField(file, path.Length == 0 ? "(top level)" : path,
            $"{what} {(path.Length == 0 || what == "the string" ? "" : "inside it ")}holds a lone surrogate escape or "
            + "invalid UTF-8, which is not text");
}

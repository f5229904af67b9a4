// Reads a tasks JSONL (one DemoTask per line; blank lines are skipped). Every field is checked, and the first
// problem is reported with the file, the line and the JSON path: "eval.jsonl:17: messages[2].role: missing".
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using K2Native.Applications.Tools.Demo;
using K2Native.Text;

namespace K2Native.Applications.Eval;

/// <summary>Reader of tasks JSONL files.</summary>
internal static class DemoTaskFile
{
    /// <summary>The tasks file a demo checkpoint carries.</summary>
    public const string DefaultName = "eval.jsonl";

    /// <summary>Reads every task of a file.</summary>
    /// <exception cref="DemoFormatException">A line is not a valid task, or the file has none.</exception>
    public static IReadOnlyList<DemoTask> Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found", path);
        using var reader = new StreamReader(path, new UTF8Encoding(false, throwOnInvalidBytes: false));
        return Read(reader, path);
    }

    /// <summary>Reads every task from a reader; <paramref name="source"/> names it in errors.</summary>
    public static IReadOnlyList<DemoTask> Read(TextReader reader, string source)
    {
        var tasks = new List<DemoTask>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        int number = 0;
        for (string? line = reader.ReadLine(); line is not null; line = reader.ReadLine())
        {
            number++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            var task = ParseLine(line, source, number);
            if (!ids.Add(task.Id))
                throw new DemoFormatException(source, number, "id", $"\"{task.Id}\" is used by an earlier task");
            tasks.Add(task);
        }
        if (tasks.Count == 0)
            throw new DemoFormatException(source, null, "", "no tasks (expected one JSON object per line)");
        return tasks;
    }

    /// <summary>One line of a tasks file.</summary>
    public static DemoTask ParseLine(string line, string source, int number)
    {
        JsonNode? root;
        try
        {
            root = JsonInput.Parse(line);
        }
        catch (ChatFormatException e)
        {
            throw new DemoFormatException(source, number, "", e.Problem);
        }
        if (root is not JsonObject obj)
            throw new DemoFormatException(
                source, number, "", "expected a task object with \"id\", \"today\", \"expected\" and \"messages\"");
        string id = RequiredString(obj, "id", source, number);
        string today = RequiredString(obj, "today", source, number);
        if (!DateOnly.TryParseExact(
                today, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
            throw new DemoFormatException(source, number, "today", $"\"{today}\" is not a date of the form YYYY-MM-DD");
        string expected = RequiredString(obj, "expected", source, number);
        if (expected.Length == 0)
            throw new DemoFormatException(source, number, "expected", "empty (every answer would contain it)");
        if (obj["messages"] is not JsonArray list)
            throw new DemoFormatException(source, number, "messages", "expected an array of messages");
        ChatMessage[] messages;
        try
        {
            messages = list.Select((m, i) => ConversationReader.ReadMessage(m, $"messages[{i}]")).ToArray();
        }
        catch (ChatFormatException e)
        {
            throw new DemoFormatException(source, number, e.JsonPath, e.Problem);
        }
        if (!messages.Any(m => m.Role == "user"))
            throw new DemoFormatException(
                source, number, "messages", "no user message (the prompt ends with the last one)");
        return new DemoTask
        {
            Id = id,
            Today = date,
            Expected = expected,
            Messages = messages,
            Origin = $"{source}:{number}"
        };
    }

    private static string RequiredString(JsonObject obj, string key, string source, int number) =>
        obj[key] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>()
        : throw new DemoFormatException(source, number, key, obj.ContainsKey(key) ? "expected a string" : "missing");
}

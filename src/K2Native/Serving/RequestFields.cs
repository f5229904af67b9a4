// Typed access to the top-level fields of an API request body, each failure an ApiException that names the
// field. Remembers which fields were read, so the caller can log (and ignore) the ones it does not know, as
// vLLM does, while refusing known OpenAI fields this server does not implement.
using System.Text.Json;
using System.Text.Json.Nodes;
using K2Native.Text;

namespace K2Native.Serving;

/// <summary>The fields of one request object.</summary>
public sealed class RequestFields
{
    private readonly JsonObject _body;
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    private RequestFields(JsonObject body) => _body = body;

    /// <summary>Parses a request body; 400 when it is not JSON (also invalid UTF-8, nesting deeper than 256) or not an
    /// object.</summary>
    public static RequestFields Parse(ReadOnlySpan<byte> utf8)
    {
        JsonNode? root;
        try
        {
            root = JsonInput.Parse(utf8);
        }
        catch (ChatFormatException e)
        {
            throw new ApiException(400, $"the body is not valid JSON: {e.Problem}", null, "invalid_json");
        }
        return root is JsonObject obj
            ? new RequestFields(obj)
            : throw new ApiException(
                400, $"the body must be a JSON object, found {PythonJson.KindName(root)}", null, "invalid_json");
    }

    public JsonObject Body => _body;

    /// <summary>Fields present that no accessor read.</summary>
    public IEnumerable<string> Unread => _body.Select(p => p.Key).Where(k => !_read.Contains(k));

    /// <summary>The raw node (null when absent or JSON null); marks the field read.</summary>
    public JsonNode? Node(string key)
    {
        _read.Add(key);
        return _body[key];
    }

    public bool Has(string key) => _body.ContainsKey(key);

    public string? String(string key) => Node(key) switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        var n => throw WrongType(key, "a string", n),
    };

    public bool? Bool(string key) => Node(key) switch
    {
        null => null,
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>(),
        var n => throw WrongType(key, "true or false", n),
    };

    /// <summary>A number in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public double? Number(string key, double min, double max)
    {
        var node = Node(key);
        if (node is null) return null;
        double value = NumberOf(key, node);
        if (!(value >= min && value <= max)) throw ApiException.Invalid(key, $"{value} is out of range [{min}, {max}]");
        return value;
    }

    /// <summary>An integer in [<paramref name="min"/>, <paramref name="max"/>] (1.0 counts as 1; 1.5 does
    /// not).</summary>
    public long? Integer(string key, long min, long max)
    {
        var node = Node(key);
        if (node is null) return null;
        double value = NumberOf(key, node);
        if (value != Math.Floor(value)) throw WrongType(key, "an integer", node);
        if (!(value >= min && value <= max))
            throw ApiException.Invalid(key, $"{node.ToJsonString()} is out of range [{min}, {max}]");
        return (long)value;
    }

    /// <summary>A string or a list of strings (OpenAI's stop).</summary>
    public IReadOnlyList<string> Strings(string key, int maxCount)
    {
        var node = Node(key);
        if (node is null) return [];
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.String) return [v.GetValue<string>()];
        if (node is not JsonArray a) throw WrongType(key, "a string or an array of strings", node);
        if (a.Count > maxCount)
            throw ApiException.Invalid(key, $"at most {maxCount} entries are allowed, found {a.Count}");
        var list = new List<string>(a.Count);
        for (int i = 0; i < a.Count; i++)
            list.Add(
                a[i] is JsonValue s && s.GetValueKind() == JsonValueKind.String
                    ? s.GetValue<string>()
                    : throw WrongType($"{key}[{i}]", "a string", a[i]));
        return list;
    }

    /// <summary>Refuses a field this server does not implement unless it holds its neutral value.</summary>
    public void RefuseUnlessNeutral(string key, Func<JsonNode, bool> isNeutral, string why)
    {
        var node = Node(key);
        if (node is not null && !isNeutral(node)) throw ApiException.Unsupported(key, why);
    }

    public static ApiException WrongType(string param, string expected, JsonNode? found) =>
        ApiException.Invalid(param, $"expected {expected}, found {PythonJson.KindName(found)}", "invalid_type");

    private static double NumberOf(string key, JsonNode node)
    {
        if (node is not JsonValue v || v.GetValueKind() != JsonValueKind.Number) throw WrongType(key, "a number", node);
        return v.GetValue<JsonElement>().TryGetDouble(out double value) && double.IsFinite(value)
            ? value
            : throw ApiException.Invalid(key, $"{node.ToJsonString()} is too large");
    }
}

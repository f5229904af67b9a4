// Reads typed fields out of a JSON object, collecting every problem (missing, wrong type, out of range)
// with the field's dotted path instead of stopping at the first one.
using System.Text.Json;

namespace K2Native.Checkpoint;

internal sealed class ConfigReader
{
    private readonly string _file;
    private readonly List<string> _problems;
    private readonly string _prefix;

    public ConfigReader(string file, JsonElement obj, List<string> problems, string prefix = "")
    {
        _file = file;
        Object = obj;
        _problems = problems;
        _prefix = prefix;
    }

    public JsonElement Object { get; }

    public string File => _file;

    public IReadOnlyList<string> Problems => _problems;

    public string PathOf(string field) => _prefix.Length == 0 ? field : _prefix + "." + field;

    public void Problem(string field, string message) => _problems.Add($"field '{PathOf(field)}': {message}");

    public bool Has(string field) =>
        Object.TryGetProperty(field, out var value) && value.ValueKind != JsonValueKind.Null;

    public bool TryGet(string field, out JsonElement value) =>
        Object.TryGetProperty(field, out value) && value.ValueKind != JsonValueKind.Null;

    public int Int(string field, long min, long max, int fallback = 0)
    {
        if (!TryGet(field, out var value)) { Problem(field, "missing"); return fallback; }
        return IntValue(field, value, min, max, fallback);
    }

    public int? OptionalInt(string field, long min, long max)
    {
        if (!TryGet(field, out var value)) return null;
        return IntValue(field, value, min, max, 0);
    }

    public int IntOr(string field, long min, long max, int fallback)
    {
        if (!TryGet(field, out var value)) return fallback;
        return IntValue(field, value, min, max, fallback);
    }

    public double Double(string field, double min, double max, double fallback = 0)
    {
        if (!TryGet(field, out var value)) { Problem(field, "missing"); return fallback; }
        return DoubleValue(field, value, min, max, fallback);
    }

    public double DoubleOr(string field, double min, double max, double fallback)
    {
        if (!TryGet(field, out var value)) return fallback;
        return DoubleValue(field, value, min, max, fallback);
    }

    public bool Bool(string field, bool? fallback = null)
    {
        if (!TryGet(field, out var value))
        {
            if (fallback is null) Problem(field, "missing");
            return fallback ?? false;
        }
        if (value.ValueKind is JsonValueKind.True or JsonValueKind.False) return value.GetBoolean();
        Problem(field, $"expected true or false, found {Show(value)}");
        return fallback ?? false;
    }

    public string? String(string field, bool required)
    {
        if (!TryGet(field, out var value))
        {
            if (required) Problem(field, "missing");
            return null;
        }
        if (value.ValueKind == JsonValueKind.String) return value.GetString();
        Problem(field, $"expected a string, found {Show(value)}");
        return null;
    }

    public ConfigReader? Child(string field, bool required)
    {
        if (!TryGet(field, out var value))
        {
            if (required) Problem(field, "missing");
            return null;
        }
        if (value.ValueKind != JsonValueKind.Object)
        {
            Problem(field, $"expected an object, found {Show(value)}");
            return null;
        }
        return new ConfigReader(_file, value, _problems, PathOf(field));
    }

    public static string Show(JsonElement value)
    {
        string raw = value.GetRawText();
        return raw.Length <= 40 ? raw : raw[..37] + "...";
    }

    private int IntValue(string field, JsonElement value, long min, long max, int fallback)
    {
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out long v))
        {
            if (v >= min && v <= max) return (int)v;
            Problem(field, $"{v} is outside the accepted range [{min}, {max}]");
            return fallback;
        }
        Problem(field, $"expected an integer, found {Show(value)}");
        return fallback;
    }

    private double DoubleValue(string field, JsonElement value, double min, double max, double fallback)
    {
        if (value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out double v) && double.IsFinite(v))
        {
            if (v >= min && v <= max) return v;
            Problem(field, $"{v} is outside the accepted range [{min}, {max}]");
            return fallback;
        }
        Problem(field, $"expected a finite number, found {Show(value)}");
        return fallback;
    }
}

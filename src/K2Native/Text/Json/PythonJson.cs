// JSON written exactly as Python's json.dumps(x, ensure_ascii=False) writes it, which is what the chat template's
// `tojson` filter produces: ", " and ": " separators, keys in insertion order, non-ASCII (and DEL, '/', '<', '>',
// '&', '\'') written as is; '"', '\\', \n \r \t \b \f escaped short and other C0 controls as \u00xx; lone
// surrogates kept as the raw code unit (Python's str holds them the same way); ints exact at any size, "-0" as 0;
// floats as repr() ("1.0", "1e-05", "1e+16", Infinity, NaN). Numbers are read as Python reads them: text with
// '.', 'e' or 'E' is a float (so 1.50 is written 1.5 and 1e2 is 100.0), other text an int.
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace K2Native.Text;

/// <summary>Python's <c>json.dumps(x, ensure_ascii=False)</c> and <c>str(x)</c> over System.Text.Json values.</summary>
internal static class PythonJson
{
    /// <summary>json.dumps(value, ensure_ascii=False); a C# null is JSON null.</summary>
    public static string Serialize(JsonNode? value)
    {
        var sb = new StringBuilder();
        Write(sb, value);
        return sb.ToString();
    }

    /// <summary>json.dumps of the value Python's json.loads would make of this element (a repeated key keeps its last
    /// value).</summary>
    public static string Serialize(JsonElement value) => Serialize(JsonInput.Parse(value.GetRawText()));

    /// <summary>Appends json.dumps(value, ensure_ascii=False).</summary>
    public static void Write(StringBuilder output, JsonNode? value) => Write(output, value, JsonStyle.Python, 0);

    /// <summary>Python's str() of a JSON scalar, as Jinja prints it with {{ x }}: None, True, False, 1.5, text as
    /// is.</summary>
    /// <exception cref="ArgumentException">The value is an object or an array (Python would print its
    /// repr).</exception>
    public static string Str(JsonNode? value) => value switch
    {
        null => "None",
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => StringOf(v),
            JsonValueKind.True => "True",
            JsonValueKind.False => "False",
            JsonValueKind.Number => NumberText(v, keepText: false, str: true),
            var kind => throw new ArgumentException($"unexpected JSON value kind {kind}", nameof(value)),
        },
        _ => throw new ArgumentException(
            $"expected a string, number, true, false or null, found {KindName(value)}", nameof(value)),
    };

    /// <summary>"string", "number", "object"... for messages about a value of the wrong kind.</summary>
    internal static string KindName(JsonNode? value) => value switch
    {
        null => "null",
        JsonObject => "an object",
        JsonArray => "an array",
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => "a string",
            JsonValueKind.Number => "a number",
            JsonValueKind.True or JsonValueKind.False => "a boolean",
            _ => "a value",
        },
        _ => "a value",
    };

    internal static void Write(StringBuilder output, JsonNode? value, JsonStyle style, int depth)
    {
        switch (value)
        {
            case null:
                output.Append("null");
                break;
            case JsonObject obj:
                if (obj.Count == 0) { output.Append("{}"); break; }
                output.Append('{');
                bool firstMember = true;
                foreach (var (key, member) in obj)
                {
                    Separate(output, style, depth + 1, ref firstMember);
                    WriteString(output, key, style.EscapeLoneSurrogates);
                    output.Append(": ");
                    Write(output, member, style, depth + 1);
                }
                Close(output, style, depth, '}');
                break;
            case JsonArray array:
                if (array.Count == 0) { output.Append("[]"); break; }
                output.Append('[');
                bool firstItem = true;
                foreach (var item in array)
                {
                    Separate(output, style, depth + 1, ref firstItem);
                    Write(output, item, style, depth + 1);
                }
                Close(output, style, depth, ']');
                break;
            case JsonValue v:
                switch (v.GetValueKind())
                {
                    case JsonValueKind.String: WriteString(output, StringOf(v), style.EscapeLoneSurrogates); break;
                    case JsonValueKind.Number: output.Append(NumberText(v, style.KeepNumberText, str: false)); break;
                    case JsonValueKind.True: output.Append("true"); break;
                    case JsonValueKind.False: output.Append("false"); break;
                    default: output.Append("null"); break;
                }
                break;
        }
    }

    // Python's separators: ", " inline; "," then a newline and the indent when indenting.
    private static void Separate(StringBuilder output, JsonStyle style, int depth, ref bool first)
    {
        if (!first) output.Append(style.Indent > 0 ? "," : ", ");
        first = false;
        if (style.Indent > 0) output.Append('\n').Append(' ', style.Indent * depth);
    }

    private static void Close(StringBuilder output, JsonStyle style, int depth, char bracket)
    {
        if (style.Indent > 0) output.Append('\n').Append(' ', style.Indent * depth);
        output.Append(bracket);
    }

    private static void WriteString(StringBuilder output, string s, bool escapeLoneSurrogates)
    {
        output.Append('"');
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            switch (c)
            {
                case '"': output.Append("\\\""); break;
                case '\\': output.Append("\\\\"); break;
                case '\n': output.Append("\\n"); break;
                case '\r': output.Append("\\r"); break;
                case '\t': output.Append("\\t"); break;
                case '\b': output.Append("\\b"); break;
                case '\f': output.Append("\\f"); break;
                case < ' ': AppendUnicodeEscape(output, c); break;
                default:
                    if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
                        output.Append(c).Append(s[++i]);
                    else if (escapeLoneSurrogates && char.IsSurrogate(c))
                        AppendUnicodeEscape(output, c);
                    else
                        output.Append(c);
                    break;
            }
        }
        output.Append('"');
    }

    private static void AppendUnicodeEscape(StringBuilder output, char c) =>
        output.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));

    private static string StringOf(JsonValue v)
    {
        if (v.TryGetValue<string>(out var s)) return s;
        if (v.TryGetValue<char>(out var c)) return c.ToString();
        // A value parsed by System.Text.Json (or another CLR type): decode its JSON text the way Python would.
        return JsonInput.Parse(v.ToJsonString())!.GetValue<string>();
    }

    private static string NumberText(JsonValue v, bool keepText, bool str)
    {
        Func<double, string> format = str ? PythonFloat.Str : PythonFloat.JsonRepr;
        if (v.TryGetValue<JsonElement>(out var element))
        {
            string raw = element.GetRawText();
            if (keepText) return raw;
            if (raw.AsSpan().IndexOfAny('.', 'e', 'E') < 0) return raw == "-0" ? "0" : raw;
            return format(double.Parse(raw, NumberStyles.Float, CultureInfo.InvariantCulture));
        }
        if (v.TryGetValue<double>(out var d)) return format(d);
        if (v.TryGetValue<float>(out var f)) return format(f);
        if (v.TryGetValue<Half>(out var h)) return format((double)h);
        if (v.TryGetValue<decimal>(out var m)) return format((double)m);
        return v.ToJsonString(); // a CLR integer: its digits
    }
}

/// <summary>How <see cref="PythonJson"/> lays out JSON: Python's inline form, or an indented file that reads back
/// exactly.</summary>
internal readonly record struct JsonStyle(int Indent, bool KeepNumberText, bool EscapeLoneSurrogates)
{
    /// <summary>json.dumps(x, ensure_ascii=False).</summary>
    public static JsonStyle Python => new(0, false, false);

    /// <summary>Indented by 2, numbers as they were read, lone surrogates escaped so the UTF-8 file loses
    /// nothing.</summary>
    public static JsonStyle File => new(2, true, true);
}

// Reads JSON text into JsonNode values the way Python's json.loads sees it, which is what the chat template was
// written against: a repeated key keeps its first position and its last value, strings may hold lone surrogates
// (written as \udXXX escapes), and numbers keep their original text so ints stay exact at any size.
using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace K2Native.Text;

internal static class JsonInput
{
    /// <summary>Deepest nesting accepted (Python's own limit is near 1000; 256 keeps the recursion shallow).</summary>
    public const int MaxDepth = 256;

    private static readonly UTF8Encoding StrictUtf8 = new(
        encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Parses one JSON value (a leading UTF-8 byte order mark is skipped).</summary>
    /// <exception cref="ChatFormatException">The text is not JSON; the message gives the line and byte.</exception>
    public static JsonNode? Parse(ReadOnlySpan<byte> utf8)
    {
        if (utf8.StartsWith("\uFEFF"u8)) utf8 = utf8[3..];
        if (utf8.Trim(" \t\r\n"u8).IsEmpty) throw new ChatFormatException("", "no JSON value (the text is empty)");
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = MaxDepth });
        try
        {
            reader.Read();
            var value = ReadValue(ref reader);
            if (reader.Read())
                throw new ChatFormatException(
                    "", $"unexpected {reader.TokenType} after the JSON value at byte {reader.TokenStartIndex}");
            return value;
        }
        catch (JsonException e)
        {
            throw new ChatFormatException("", $"invalid JSON: {e.Message}");
        }
    }

    /// <summary>Parses one JSON value from a string.</summary>
    public static JsonNode? Parse(string json)
    {
        byte[] rented = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(json.Length));
        try
        {
            int n = Encoding.UTF8.GetBytes(json, rented);
            return Parse(rented.AsSpan(0, n));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static JsonNode? ReadValue(ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                var obj = new JsonObject();
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    string name = ReadString(ref reader);
                    reader.Read();
                    // a repeated key replaces the value in place, as a Python dict does
                    obj[name] = ReadValue(ref reader);
                }
                return obj;
            case JsonTokenType.StartArray:
                var array = new JsonArray();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    array.Add(ReadValue(ref reader));
                return array;
            case JsonTokenType.String:
                return JsonValue.Create(ReadString(ref reader));
            case JsonTokenType.Number:
                return JsonValue.Create(JsonElement.ParseValue(ref reader));
            case JsonTokenType.True:
                return JsonValue.Create(true);
            case JsonTokenType.False:
                return JsonValue.Create(false);
            case JsonTokenType.Null:
                return null;
            default:
                throw new ChatFormatException("", $"unexpected {reader.TokenType} at byte {reader.TokenStartIndex}");
        }
    }

    /// <summary>The current string or property name; escapes decoded by hand when they hold a lone surrogate.</summary>
    private static string ReadString(ref Utf8JsonReader reader)
    {
        ReadOnlySpan<byte> raw = reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan;
        try
        {
            return reader.ValueIsEscaped ? Unescape(raw) : StrictUtf8.GetString(raw);
        }
        catch (DecoderFallbackException)
        {
            throw new ChatFormatException("", $"invalid UTF-8 in the string at byte {reader.TokenStartIndex}");
        }
    }

    // The reader has already checked the escapes' syntax; what it refuses to decode is \uD800-\uDFFF alone,
    // which Python keeps as a lone surrogate code unit, and so do we.
    private static string Unescape(ReadOnlySpan<byte> raw)
    {
        var sb = new StringBuilder(raw.Length);
        int i = 0;
        while (i < raw.Length)
        {
            int slash = raw[i..].IndexOf((byte)'\\');
            int end = slash < 0 ? raw.Length : i + slash;
            if (end > i) sb.Append(StrictUtf8.GetString(raw[i..end]));
            if (slash < 0) break;
            byte kind = raw[end + 1];
            i = end + 2;
            switch (kind)
            {
                case (byte)'n': sb.Append('\n'); break;
                case (byte)'t': sb.Append('\t'); break;
                case (byte)'r': sb.Append('\r'); break;
                case (byte)'b': sb.Append('\b'); break;
                case (byte)'f': sb.Append('\f'); break;
                case (byte)'u':
                    sb.Append(
                        (char)int.Parse(
                            Encoding.ASCII.GetString(raw.Slice(i, 4)), NumberStyles.HexNumber,
                            CultureInfo.InvariantCulture));
                    i += 4;
                    break;
                default: sb.Append((char)kind); break; // \" \\ \/
            }
        }
        return sb.ToString();
    }
}

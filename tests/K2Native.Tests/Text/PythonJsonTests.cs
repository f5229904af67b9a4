// PythonJson against CPython 3.11's json.dumps(json.loads(text), ensure_ascii=False): the expected strings were
// produced by CPython and are committed here, so the tests need no Python at run time.
using System.Text.Json;
using System.Text.Json.Nodes;
using K2Native.Text;

namespace K2Native.Tests.Text;

public sealed class PythonJsonTests
{
    [Theory]
    [InlineData(
        "{\"b\": 1, \"a\": [true, false, null], \"c\": {}}", "{\"b\": 1, \"a\": [true, false, null], \"c\": {}}")]
    [InlineData("{\"b\":1,\"a\":[true,false,null],\"c\":{}}", "{\"b\": 1, \"a\": [true, false, null], \"c\": {}}")]
    [InlineData("[1.50, 1e2, 10, -0, -0.0, 0.0, 1E400, -1e400, 1e-400, 0.0000001, 1.0e-7, 0.0001, 123e-2]",
        "[1.5, 100.0, 10, 0, -0.0, 0.0, Infinity, -Infinity, 0.0, 1e-07, 1e-07, 0.0001, 1.23]")]
    [InlineData("[12345678901234567890123456789012345678901234567890, -98765432109876543210, 9007199254740993]",
        "[12345678901234567890123456789012345678901234567890, -98765432109876543210, 9007199254740993]")]
    [InlineData("[1e15, 1e16, 1e22, 123456789012345678901234.0, 0.1, 0.30000000000000004, 5e-324, "
        + "1.7976931348623157e308]",
        "[1000000000000000.0, 1e+16, 1e+22, 1.2345678901234569e+23, 0.1, 0.30000000000000004, 5e-324, "
        + "1.7976931348623157e+308]")]
    [InlineData("[-1.5e-10, 2.5E+20, 1E5, 100, 3.14159]", "[-1.5e-10, 2.5e+20, 100000.0, 100, 3.14159]")]
    [InlineData("{\"a\": 1, \"b\": 2, \"a\": 3}", "{\"a\": 3, \"b\": 2}")]
    [InlineData("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0000\\u001f\\u007f <>&' é 北 😀 \\u2028\"",
        "\"\\\"\\\\/\\b\\f\\n\\r\\t\\u0000\\u001f\u007f <>&' é 北 😀 \u2028\"")]
    [InlineData("{\"ключ\": \"значение\", \"\": \"\", \"x y\": [[], {}, [[]]]}",
        "{\"ключ\": \"значение\", \"\": \"\", \"x y\": [[], {}, [[]]]}")]
    public void Serialize_MatchesPythonJsonDumps(string input, string expected)
    {
        Assert.Equal(expected, PythonJson.Serialize(JsonInput.Parse(input)));
        using var doc = JsonDocument.Parse(input);
        Assert.Equal(expected, PythonJson.Serialize(doc.RootElement));
    }

    [Fact]
    public void Serialize_NodesFromSystemTextJsonParse_UsePythonNumberRules()
    {
        var node = JsonNode.Parse("{\"x\": [1.50, 1e2, 7, \"s\\u00e9\"]}");
        Assert.Equal("{\"x\": [1.5, 100.0, 7, \"sé\"]}", PythonJson.Serialize(node));
    }

    [Fact]
    public void Serialize_ClrValues_FloatsStayFloats()
    {
        var node = new JsonArray(
            1.0, 1e-5, 2.5f, 3m, 7, 7L, (byte)1, double.PositiveInfinity, double.NaN, "a/b", 'c', true, null);
        Assert.Equal(
            "[1.0, 1e-05, 2.5, 3.0, 7, 7, 1, Infinity, NaN, \"a/b\", \"c\", true, null]", PythonJson.Serialize(node));
    }

    [Fact]
    public void Serialize_LoneSurrogate_KeptAsTheCodeUnitLikePythonStr()
    {
        Assert.Equal("\"\ud800x\\n\"", PythonJson.Serialize(JsonInput.Parse("\"\\ud800x\\n\"")));
        Assert.Equal("\"\udc00\"", PythonJson.Serialize(JsonValue.Create("\udc00")));
        Assert.Equal("\"😀\"", PythonJson.Serialize(JsonInput.Parse("\"\\ud83d\\ude00\"")));
    }

    [Fact]
    public void Serialize_NullNode_IsJsonNull() => Assert.Equal("null", PythonJson.Serialize((JsonNode?)null));

    [Theory]
    [InlineData("null", "None")]
    [InlineData("true", "True")]
    [InlineData("false", "False")]
    [InlineData("5", "5")]
    [InlineData("-0", "0")]
    [InlineData("1.50", "1.5")]
    [InlineData("1e400", "inf")]
    [InlineData("-1e400", "-inf")]
    [InlineData("1e16", "1e+16")]
    [InlineData("\"text\"", "text")]
    public void Str_MatchesPythonStr(string json, string expected) => Assert.Equal(
        expected, PythonJson.Str(JsonInput.Parse(json)));

    [Fact]
    public void Str_ObjectOrArray_Throws()
    {
        Assert.Throws<ArgumentException>(() => PythonJson.Str(new JsonObject()));
        Assert.Throws<ArgumentException>(() => PythonJson.Str(new JsonArray()));
    }

    [Fact]
    public void FileStyle_IndentsLikePythonAndKeepsNumberText()
    {
        var node = JsonInput.Parse(
            "{\"a\":[1,{\"b\":2.0}],\"c\":\"x\",\"d\":{}, \"e\": [], \"f\": 1.50, \"g\": \"\\ud800\"}");
        var sb = new System.Text.StringBuilder();
        PythonJson.Write(sb, node, JsonStyle.File, 0);
        Assert.Equal(
            "{\n  \"a\": [\n    1,\n    {\n      \"b\": 2.0\n    }\n  ],\n  \"c\": \"x\",\n  \"d\": {},\n  \"e\": "
            + "[],\n  \"f\": 1.50,\n  \"g\": \"\\ud800\"\n}",
            sb.ToString());
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("{\"a\": }", "invalid JSON")]
    [InlineData("[1] [2]", "invalid JSON")]
    [InlineData("[NaN]", "invalid JSON")]
    public void Parse_BadJson_ThrowsChatFormatException(string text, string expected)
    {
        var e = Assert.Throws<ChatFormatException>(() => JsonInput.Parse(text));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_InvalidUtf8_IsReportedWithItsOffset()
    {
        var e = Assert.Throws<ChatFormatException>(
            () => JsonInput.Parse([(byte)'[', (byte)'"', 0xC3, (byte)'"', (byte)']']));
        Assert.Contains("invalid UTF-8", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ByteOrderMark_IsSkipped() =>
        Assert.Equal("[1]", PythonJson.Serialize(JsonInput.Parse([0xEF, 0xBB, 0xBF, (byte)'[', (byte)'1', (byte)']'])));

    [Fact]
    public void Parse_TooDeep_IsAnErrorNotACrash()
    {
        string deep = new string('[', 10_000) + new string(']', 10_000);
        Assert.Throws<ChatFormatException>(() => JsonInput.Parse(deep));
    }
}

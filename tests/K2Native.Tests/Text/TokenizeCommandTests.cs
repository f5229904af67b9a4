// `k2 tokenize` on the bundled checkpoint: encode and decode for --text, --file and --jsonl, and errors that
// name the line.
using K2Bench.Verbs;
using K2Native.Tests.Support;
using K2Native.Text;

namespace K2Native.Tests.Text;

public sealed class TokenizeCommandTests : IDisposable
{
    private static readonly string Bundled = Path.Combine(SharedFixtures.RepositoryRoot, "models", "tiny-random");
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void EncodesTextToOneLineOfIds()
    {
        var expected = Tokenizer.Load(Bundled).Encode("hello <think>");
        Assert.Equal(string.Join(' ', expected) + "\n", Run(new TokenizeCommand { Text = "hello <think>" }));
        Assert.DoesNotContain("790", Run(new TokenizeCommand { Text = "hello <think>", NoSpecial = true }));
    }

    [Fact]
    public void FileRoundTripsExactly()
    {
        const string text = "\uFEFFline one\r\nline two 漢字 😀\n\n";
        System.IO.File.WriteAllText(_dir.File("in.txt"), text, new System.Text.UTF8Encoding(false));
        System.IO.File.WriteAllText(_dir.File("ids.txt"), Run(new TokenizeCommand { File = _dir.File("in.txt") }));
        Assert.Equal(text, Run(new TokenizeCommand { File = _dir.File("ids.txt"), Decode = true }));
        Assert.Equal("hi", Run(new TokenizeCommand { Text = "104, 105", Decode = true }));
    }

    [Fact]
    public void JsonlEncodesAndDecodesLineByLine()
    {
        System.IO.File.WriteAllLines(_dir.File("in.jsonl"), ["\"a b\"", "\"\"", "\"\\u00e9\\n\""]);
        string ids = Run(new TokenizeCommand { Jsonl = _dir.File("in.jsonl") });
        var lines = ids.Split('\n');
        Assert.Equal(4, lines.Length);
        System.IO.File.WriteAllLines(_dir.File("ids.jsonl"), lines[..3].Select(l => $"[{l.Replace(' ', ',')}]"));
        Assert.Equal(
            "\"a b\"\n\"\"\n\"é\\n\"\n", Run(new TokenizeCommand { Jsonl = _dir.File("ids.jsonl"), Decode = true }));
    }

    [Theory]
    [InlineData("\"ok\"\n5\n", false, "line 2: expected a JSON string")]
    [InlineData("\"ok\"\n\"unterminated\n", false, "line 2: not valid JSON")]
    [InlineData("\"ok\"\n\"a\\ud800b\"\n", false, "line 2: the string cannot be read")]
    [InlineData("[1,2]\n[1,99999]\n", true, "line 2: token id 99999 (item 1) is outside the vocabulary [0, 1024)")]
    [InlineData("[1,\"x\"]\n", true, "line 1: item 1 (\"x\") is not a token id")]
    public void BadJsonlLinesAreNamed(string content, bool decode, string expected)
    {
        System.IO.File.WriteAllText(_dir.File("bad.jsonl"), content);
        var e = Assert.Throws<FormatException>(
            () => Run(new TokenizeCommand { Jsonl = _dir.File("bad.jsonl"), Decode = decode }));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void UnknownIdIsAnError()
    {
        var e = Assert.Throws<ArgumentException>(() => Run(new TokenizeCommand { Text = "1 1024", Decode = true }));
        Assert.Contains("token id 1024", e.Message);
    }

    private static string Run(TokenizeCommand command)
    {
        command.Model = Bundled;
        var output = new StringWriter { NewLine = "\n" };
        Assert.Equal(0, command.Execute(output));
        return output.ToString();
    }
}

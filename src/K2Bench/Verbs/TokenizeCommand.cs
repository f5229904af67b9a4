// `k2 tokenize`: text to token ids with the checkpoint's tokenizer, or ids back to text with --decode.
//   --text T     encode T (decode: T holds ids) and print one line of space-separated ids (decode: the text)
//   --file F     the whole file is one text (decode: a file of ids), same output
//   --jsonl F    one JSON string per line -> one line of ids each (decode: one JSON array of ids per line ->
//                one JSON string per line)
// Decoded text is written exactly, with no newline added, so `--file` round-trips byte for byte.
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using CommandLine;
using K2Native.Text;

namespace K2Bench.Verbs;

[Verb("tokenize", HelpText = "Encode text to token ids with the checkpoint's tokenizer, or decode ids to text "
    + "(--decode).")]
internal sealed class TokenizeCommand : ICommand
{
    private static readonly JsonSerializerOptions JsonOutput =
        new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    [Option("model", HelpText = "Checkpoint directory (default: the bundled checkpoint).")]
    public string? Model { get; set; }

    [Option("text", SetName = "text", HelpText = "The text to encode (with --decode: ids separated by spaces or "
        + "commas).")]
    public string? Text { get; set; }

    [Option("file", SetName = "file", HelpText = "A UTF-8 file encoded as one text (with --decode: a file of ids).")]
    public string? File { get; set; }

    [Option("jsonl", SetName = "jsonl", HelpText = "One JSON string per line, one line of ids out per line (with "
        + "--decode: JSON arrays of ids in, JSON strings out).")]
    public string? Jsonl { get; set; }

    [Option("decode", HelpText = "Decode ids to text instead of encoding.")]
    public bool Decode { get; set; }

    [Option("no-special", HelpText = "Encode special-token names as plain text (for untrusted input).")]
    public bool NoSpecial { get; set; }

    public int Run()
    {
        using var output = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false)) { NewLine = "\n" };
        return Execute(output);
    }

    internal int Execute(TextWriter output)
    {
        if ((Text is null ? 0 : 1) + (File is null ? 0 : 1) + (Jsonl is null ? 0 : 1) != 1)
            throw new ArgumentException("give exactly one of --text, --file or --jsonl");
        var tokenizer = Tokenizer.Load(ModelPaths.Resolve(Model));

        if (Jsonl is not null)
        {
            int lineNumber = 0;
            foreach (var line in System.IO.File.ReadLines(Jsonl, Encoding.UTF8))
            {
                lineNumber++;
                if (Decode)
                    output.WriteLine(
                        JsonSerializer.Serialize(
                            tokenizer.Decode(ParseIdArray(line, lineNumber, tokenizer)), JsonOutput));
                else output.WriteLine(FormatIds(tokenizer.Encode(ParseString(line, lineNumber), !NoSpecial)));
            }
            return 0;
        }

        string input = Text ?? new UTF8Encoding(false).GetString(System.IO.File.ReadAllBytes(File!));
        if (!Decode) output.WriteLine(FormatIds(tokenizer.Encode(input, !NoSpecial)));
        else if (input.AsSpan().Trim().Length > 0)
            output.Write(
                tokenizer.Decode(TokenList.Parse(input, Text is null ? File! : "--text", tokenizer.VocabSize)));
        return 0;
    }

    private static string FormatIds(int[] ids) => string.Join(
        ' ', ids.Select(id => id.ToString(CultureInfo.InvariantCulture)));

    private string ParseString(string line, int lineNumber)
    {
        try
        {
            using var document = JsonDocument.Parse(line);
            if (document.RootElement.ValueKind != JsonValueKind.String)
                throw new FormatException(
                    $"{Jsonl} line {lineNumber}: expected a JSON string, got {document.RootElement.ValueKind}");
            return document.RootElement.GetString()!;
        }
        catch (JsonException e)
        {
            throw new FormatException($"{Jsonl} line {lineNumber}: not valid JSON ({e.Message})");
        }
        catch (InvalidOperationException e)
        {
            // System.Text.Json refuses escapes of lone surrogates (\ud800), which have no UTF-8 form.
            throw new FormatException($"{Jsonl} line {lineNumber}: the string cannot be read ({e.Message})");
        }
    }

    private int[] ParseIdArray(string line, int lineNumber, Tokenizer tokenizer)
    {
        try
        {
            using var document = JsonDocument.Parse(line);
            if (document.RootElement.ValueKind != JsonValueKind.Array)
                throw new FormatException($"{Jsonl} line {lineNumber}: expected a JSON array of token ids");
            var ids = new int[document.RootElement.GetArrayLength()];
            int i = 0;
            foreach (var item in document.RootElement.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt32(out ids[i]))
                    throw new FormatException(
                        $"{Jsonl} line {lineNumber}: item {i} ({item.GetRawText()}) is not a token id");
                if (ids[i] < 0 || ids[i] >= tokenizer.VocabSize)
                    throw new FormatException(
                        $"{Jsonl} line {lineNumber}: token id {ids[i]} (item {i}) is outside the vocabulary [0, "
                        + $"{tokenizer.VocabSize})");
                i++;
            }
            return ids;
        }
        catch (JsonException e)
        {
            throw new FormatException($"{Jsonl} line {lineNumber}: not valid JSON ({e.Message})");
        }
    }
}

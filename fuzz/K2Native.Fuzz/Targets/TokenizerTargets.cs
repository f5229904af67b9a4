// Fuzz targets of the tokenizer. "tokenizer-files": the input is tiktoken.model, tokenizer_config.json and optionally
// config.json, separated by NUL bytes; CheckpointException or a tokenizer that round-trips text, whose vocabulary is
// bounded (finding E). "tokenizer-text": the bundled tokenizer on any text and any ids: never an exception,
// decode(encode(text)) == text with and without special tokens, every id inside the vocabulary.
using System.Text;
using K2Native.Checkpoint;
using K2Native.Text;

namespace K2Native.Fuzz;

internal static class TokenizerTargets
{
    private const string Sample = "Hello, wörld! 漢字 <|im_end|> 123 \n\t  x";

    private static readonly Lazy<string> FilesDirectory = new(() =>
    {
        string dir = Path.Combine(Path.GetTempPath(), $"k2fuzz-tokenizer-{Environment.ProcessId}");
        Directory.CreateDirectory(dir);
        return dir;
    });

    public static readonly FuzzTarget Files = new(
        "tokenizer-files",
        "CheckpointException or a tokenizer with a bounded vocabulary that round-trips text",
        input =>
        {
            string dir = FilesDirectory.Value;
            var parts = Split(input);
            File.WriteAllBytes(Path.Combine(dir, TokenizerFiles.ModelFile), parts[0]);
            File.WriteAllBytes(Path.Combine(dir, TokenizerFiles.ConfigFile), parts.Length > 1 ? parts[1] : []);
            string config = Path.Combine(dir, K2Config.FileName);
            if (parts.Length > 2) File.WriteAllBytes(config, parts[2]);
            else File.Delete(config);

            var tokenizer = Tokenizer.Load(dir);
            if (tokenizer.VocabSize - tokenizer.RankCount > TokenizerFiles.MaxSpecialsWithoutConfig)
                throw new PropertyViolation($"{tokenizer.VocabSize - tokenizer.RankCount} special ids");
            CheckRoundTrip(tokenizer, Sample);
        },
        [typeof(CheckpointException)],
        () => _ = FilesDirectory.Value);

    private static readonly Lazy<Tokenizer> Bundled = new(() => Tokenizer.Load(BundledModel.Directory));

    public static readonly FuzzTarget Text = new(
        "tokenizer-text",
        "no exception; decode(encode(text)) == text with and without specials; ids inside the vocabulary; any ids "
        + "decode",
        input =>
        {
            var tokenizer = Bundled.Value;
            CheckRoundTrip(tokenizer, Encoding.UTF8.GetString(input));
            var ids = new int[input.Length / 2];
            for (int i = 0; i < ids.Length; i++) ids[i] = (input[2 * i] | input[2 * i + 1] << 8) % tokenizer.VocabSize;
            _ = tokenizer.Decode(ids);
        },
        [],
        () => _ = Bundled.Value);

    private static void CheckRoundTrip(Tokenizer tokenizer, string text)
    {
        foreach (bool allowSpecial in new[] { false, true })
        {
            var ids = tokenizer.Encode(text, allowSpecial);
            foreach (int id in ids)
                if ((uint)id >= (uint)tokenizer.VocabSize)
                    throw new PropertyViolation($"id {id} outside the vocabulary {tokenizer.VocabSize}");
            if (!allowSpecial && ids.Any(tokenizer.IsSpecial))
                throw new PropertyViolation("a special id from encoding with specials off");
            string back = tokenizer.Decode(ids);
            if (back != text)
                throw new PropertyViolation(
                    $"round trip (specials {allowSpecial}) gave {back.Length} chars for {text.Length}");
        }
    }

    private static byte[][] Split(byte[] input)
    {
        var parts = new List<byte[]>();
        int start = 0;
        for (int i = 0; i < input.Length && parts.Count < 2; i++)
            if (input[i] == 0) { parts.Add(input[start..i]); start = i + 1; }
        parts.Add(input[start..]);
        return [.. parts];
    }
}

// A synthetic tokenizer in K2's file format: tiktoken.model (base64 token bytes and rank per line) and
// tokenizer_config.json with K2's 256 special ids laid out after the ranks. Ranks 0..255 are the single
// bytes; later ranks are strings over a letters-and-space alphabet, each one byte longer than a
// lower-ranked token, so every token is reachable by byte-pair merges.
using System.Text;
using System.Text.Json;

namespace K2Native.Applications.Synth;

/// <summary>Writes tokenizer files for synthetic checkpoints.</summary>
internal static class SynthTokenizer
{
    /// <summary>Special ids follow the ranks; K2 reserves 256 of them.</summary>
    public const int SpecialCount = 256;

    /// <summary>K2's named special tokens by offset from the first special id; other offsets are reserved.</summary>
    public static readonly IReadOnlyDictionary<int, string> NamedSpecials = new Dictionary<int, string>
    {
        [0] = "[BOS]", [1] = "[EOS]", [2] = "<|im_end|>", [3] = "<|im_user|>", [4] = "<|im_assistant|>",
        [6] = "<|start_header_id|>", [7] = "<|end_header_id|>", [9] = "[EOT]", [10] = "<|im_system|>",
        [11] = "<|tool_calls_section_begin|>", [12] = "<|tool_calls_section_end|>", [13] = "<|tool_call_begin|>",
        [14] = "<|tool_call_argument_begin|>", [15] = "<|tool_call_end|>", [17] = "<|im_middle|>",
        [22] = "<think>", [23] = "</think>", [254] = "[UNK]", [255] = "[PAD]",
    };

    private const string Alphabet = " etaoinshrdlucmfwypvbgkjqxz";

    /// <summary>Writes tiktoken.model and tokenizer_config.json for <paramref name="ranks"/> BPE ranks.</summary>
    public static void Write(string directory, int ranks)
    {
        if (ranks < 256) throw new ArgumentException($"a byte-level vocabulary needs at least 256 ranks, got {ranks}");
        using (var model = new StreamWriter(
            Path.Combine(directory, "tiktoken.model"), false, new UTF8Encoding(false)) { NewLine = "\n" })
        {
            int rank = 0;
            foreach (var token in Tokens().Take(ranks))
                model.WriteLine($"{Convert.ToBase64String(token)} {rank++}");
        }
        WriteConfig(directory, ranks);
    }

    /// <summary>Writes tokenizer_config.json: K2's 256 special ids laid out after <paramref name="ranks"/> BPE
    /// ranks.</summary>
    public static void WriteConfig(string directory, int ranks)
    {
        using var stream = File.Create(Path.Combine(directory, "tokenizer_config.json"));
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteStartObject("added_tokens_decoder");
        for (int i = 0; i < SpecialCount; i++)
        {
            int id = ranks + i;
            json.WriteStartObject(id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            json.WriteString("content", NamedSpecials.TryGetValue(i, out var name) ? name : $"<|reserved_token_{id}|>");
            json.WriteBoolean("lstrip", false);
            json.WriteBoolean("normalized", false);
            json.WriteBoolean("rstrip", false);
            json.WriteBoolean("single_word", false);
            json.WriteBoolean("special", !(i is >= 11 and <= 15 or 22 or 23));
            json.WriteEndObject();
        }
        json.WriteEndObject();
        json.WriteString("bos_token", "[BOS]");
        json.WriteString("eos_token", "[EOS]");
        json.WriteString("pad_token", "[PAD]");
        json.WriteString("unk_token", "[UNK]");
        json.WriteNumber("model_max_length", 1048576);
        json.WriteString("tokenizer_class", "TikTokenTokenizer");
        json.WriteBoolean("clean_up_tokenization_spaces", false);
        json.WriteEndObject();
    }

    private static IEnumerable<byte[]> Tokens()
    {
        for (int b = 0; b < 256; b++) yield return [(byte)b];
        for (int length = 2; ; length++)
        {
            var digits = new int[length];
            while (true)
            {
                var token = new byte[length];
                for (int i = 0; i < length; i++) token[i] = (byte)Alphabet[digits[i]];
                yield return token;
                int d = length - 1;
                while (d >= 0 && ++digits[d] == Alphabet.Length) digits[d--] = 0;
                if (d < 0) break;
            }
        }
    }
}

// Reads a checkpoint's tokenizer files: tiktoken.model (one `base64(token bytes) rank` line per BPE rank)
// and tokenizer_config.json (`added_tokens_decoder`: id -> {"content": name, ...}). Every problem is a
// CheckpointException naming the file and the line or field.
using System.Globalization;
using System.Text;
using System.Text.Json;
using K2Native.Checkpoint;

namespace K2Native.Text;

internal static class TokenizerFiles
{
    public const string ModelFile = "tiktoken.model";
    public const string ConfigFile = "tokenizer_config.json";

    /// <summary>Token bytes by rank; ranks must be exactly 0..n-1 (in any order), bytes distinct, every single byte
    /// present.</summary>
    public static byte[][] ReadRanks(string path)
    {
        var entries = new List<(byte[] Bytes, int Rank, int Line)>();
        var rankOfBytes = new Dictionary<byte[], int>(ByteArrayComparer.Instance);
        int lineNumber = 0;
        foreach (var line in File.ReadLines(path, Encoding.UTF8))
        {
            lineNumber++;
            if (line.Length == 0) continue;
            var fields = line.Split(' ');
            if (fields.Length != 2)
                throw Problem(path, lineNumber, $"expected `base64 rank`, got {fields.Length} space-separated fields");
            byte[] bytes;
            try { bytes = Convert.FromBase64String(fields[0]); }
            catch (FormatException) { throw Problem(path, lineNumber, $"'{Shorten(fields[0])}' is not valid base64"); }
            if (bytes.Length == 0) throw Problem(path, lineNumber, "empty token");
            if (!int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out int rank))
                throw Problem(path, lineNumber, $"rank '{Shorten(fields[1])}' is not a non-negative integer");
            if (rankOfBytes.TryGetValue(bytes, out int other))
                throw Problem(
                    path, lineNumber,
                    $"duplicate token bytes (the same as rank {other} on line "
                    + $"{entries.Find(e => e.Rank == other).Line})");
            rankOfBytes.Add(bytes, rank);
            entries.Add((bytes, rank, lineNumber));
        }
        if (entries.Count == 0) throw CheckpointException.InFile(path, "no ranks");

        var byRank = new byte[entries.Count][];
        var lineOfRank = new int[entries.Count];
        foreach (var (bytes, rank, line) in entries)
        {
            if (rank >= entries.Count)
                throw Problem(
                    path, line,
                    $"rank {rank} but the file has {entries.Count} ranks: ranks must run from 0 to {entries.Count - 1} "
                    + "without gaps");
            if (byRank[rank] is not null)
                throw Problem(path, line, $"duplicate rank {rank} (also on line {lineOfRank[rank]})");
            byRank[rank] = bytes;
            lineOfRank[rank] = line;
        }
        for (int b = 0; b < 256; b++)
            if (!rankOfBytes.ContainsKey([(byte)b]))
                throw CheckpointException.InFile(
                    path,
                    $"byte 0x{b:X2} has no rank of its own, so not every text can be encoded (not a byte-level BPE "
                    + "vocabulary)");
        return byRank;
    }

    /// <summary>Special ids allowed above the last rank when no config.json gives the vocabulary.</summary>
    public const int MaxSpecialsWithoutConfig = 1 << 16;

    /// <summary>
    /// vocab_size from the config.json beside the tokenizer files, which bounds the special ids; null without one.
    /// Only this field is read: the rest of config.json is the model loader's to check.
    /// </summary>
    public static int? ReadVocabularyBound(string configJsonPath)
    {
        if (!File.Exists(configJsonPath)) return null;
        using var document = CheckpointJson.Parse(File.ReadAllBytes(configJsonPath), configJsonPath, maxDepth: 16);
        if (document.RootElement.ValueKind != JsonValueKind.Object
            || !document.RootElement.TryGetProperty("vocab_size", out var value))
            return null;
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out int vocab) || vocab < 1
            || vocab > K2Config.MaxVocabSize)
            throw CheckpointException.ForField(
                configJsonPath, "vocab_size",
                $"expected an integer in [1, {K2Config.MaxVocabSize}], found {value.GetRawText()}");
        return vocab;
    }

    /// <summary>
    /// Special token names by id from <c>added_tokens_decoder</c>. Specials run from <paramref name="rankCount"/>
    /// to the highest id named there; ids in that range without a name are <c>&lt;|reserved_token_ID|&gt;</c>.
    /// Every id must be below <paramref name="vocabSize"/> (config.json's vocab_size) when it is given, and at most
    /// <see cref="MaxSpecialsWithoutConfig"/> above the last rank when it is not, so a hostile id cannot make the
    /// table of names huge.
    /// </summary>
    public static string[] ReadSpecials(string path, int rankCount, int? vocabSize = null)
    {
        var document = CheckpointJson.Parse(File.ReadAllBytes(path), path, maxDepth: 64);
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw CheckpointException.InFile(path, "the top level is not a JSON object");
            if (!document.RootElement.TryGetProperty("added_tokens_decoder", out var decoder)) return [];
            if (decoder.ValueKind != JsonValueKind.Object)
                throw CheckpointException.ForField(path, "added_tokens_decoder", "not a JSON object");

            var named = new SortedDictionary<int, string>();
            var idOfName = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var entry in decoder.EnumerateObject())
            {
                string field = $"added_tokens_decoder.{entry.Name}";
                if (!int.TryParse(entry.Name, NumberStyles.None, CultureInfo.InvariantCulture, out int id))
                    throw CheckpointException.ForField(path, field, "the key is not a token id");
                if (id < rankCount)
                    throw CheckpointException.ForField(
                        path, field,
                        $"special id {id} collides with a BPE rank (tiktoken.model has ranks 0..{rankCount - 1})");
                if (vocabSize is int vocab && id >= vocab)
                    throw CheckpointException.ForField(
                        path, field, $"special id {id} is not below config.json's vocab_size {vocab}");
                if (id - rankCount >= MaxSpecialsWithoutConfig)
                    throw CheckpointException.ForField(path, field,
                        $"special id {id} is more than {MaxSpecialsWithoutConfig} above the last rank {rankCount - 1}");
                if (entry.Value.ValueKind != JsonValueKind.Object
                    || !entry.Value.TryGetProperty("content", out var content)
                        || content.ValueKind != JsonValueKind.String)
                    throw CheckpointException.ForField(path, field, "expected an object with a string 'content'");
                string name = content.GetString()!;
                if (name.Length == 0) throw CheckpointException.ForField(path, field + ".content", "empty token name");
                if (!named.TryAdd(id, name)) throw CheckpointException.ForField(path, field, $"id {id} appears twice");
                if (!idOfName.TryAdd(name, id))
                    throw CheckpointException.ForField(
                        path, field + ".content", $"'{name}' is already the name of id {idOfName[name]}");
            }
            if (named.Count == 0) return [];

            var names = new string[named.Keys.Max() - rankCount + 1];
            for (int i = 0; i < names.Length; i++)
            {
                int id = rankCount + i;
                if (named.TryGetValue(id, out var name)) names[i] = name;
                else
                {
                    names[i] = $"<|reserved_token_{id}|>";
                    if (idOfName.TryGetValue(names[i], out int other))
                        throw CheckpointException.ForField(
                            path, $"added_tokens_decoder.{other}.content",
                            $"'{names[i]}' is the reserved name of unnamed id {id}");
                }
            }
            return names;
        }
    }

    private static CheckpointException Problem(string path, int line, string problem) =>
        CheckpointException.InFile(path, $"line {line}: {problem}");

    private static string Shorten(string s) => s.Length <= 40 ? s : s[..40] + "...";

    private sealed class ByteArrayComparer : IEqualityComparer<byte[]>
    {
        public static readonly ByteArrayComparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj)
        {
            var hash = new HashCode();
            hash.AddBytes(obj);
            return hash.ToHashCode();
        }
    }
}

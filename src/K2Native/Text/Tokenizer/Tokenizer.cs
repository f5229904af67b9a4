// K2's tiktoken tokenizer: byte-level BPE over the pieces of K2's pre-tokenizer regex, with special tokens
// (K2-SPEC section 4). Ids match tiktoken exactly: tests/K2Native.Tests/Text check the shared fixture and run
// a differential test against tiktoken itself (tests/tiktoken-diff). Thread-safe for concurrent calls.
using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Unicode;
using K2Native.Checkpoint;

namespace K2Native.Text;

/// <summary>Encodes text to token ids and back, as Kimi K2's tiktoken tokenizer does.</summary>
public sealed class Tokenizer
{
    // Pieces that need merging are cached by their text when short; long ones rarely repeat.
    private const int MaxCachedPieceChars = 48;

    private readonly RankTable _ranks;
    private readonly string[] _specialNames;
    private readonly byte[][] _specialBytes;
    private readonly SpecialTokenFinder _finder;
    private readonly PieceCache _cache = new();

    internal Tokenizer(IReadOnlyList<byte[]> ranks, string[] specialNames)
    {
        _ranks = new RankTable(ranks);
        _specialNames = specialNames;
        _specialBytes = specialNames.Select(Encoding.UTF8.GetBytes).ToArray();
        var specials = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < specialNames.Length; i++) specials.Add(specialNames[i], RankCount + i);
        SpecialTokens = specials.AsReadOnly();
        _finder = new SpecialTokenFinder(specials);
    }

    /// <summary>
    /// Loads tiktoken.model and tokenizer_config.json from a checkpoint directory; when config.json is there too,
    /// its vocab_size bounds the special ids.
    /// </summary>
    /// <exception cref="CheckpointException">A file is missing or malformed (the message names file and line or
    /// field).</exception>
    public static Tokenizer Load(string checkpointDirectory)
    {
        string model = Path.Combine(checkpointDirectory, TokenizerFiles.ModelFile);
        string config = Path.Combine(checkpointDirectory, TokenizerFiles.ConfigFile);
        foreach (var file in new[] { model, config })
            if (!File.Exists(file))
                throw CheckpointException.InFile(
                    file, "not found (a K2 checkpoint has tiktoken.model and tokenizer_config.json)");
        var ranks = TokenizerFiles.ReadRanks(model);
        int? vocab = TokenizerFiles.ReadVocabularyBound(Path.Combine(checkpointDirectory, K2Config.FileName));
        return new Tokenizer(ranks, TokenizerFiles.ReadSpecials(config, ranks.Length, vocab));
    }

    /// <summary>Ranks plus special ids: the highest id + 1.</summary>
    public int VocabSize => RankCount + _specialNames.Length;

    /// <summary>The number of BPE ranks; special ids start here.</summary>
    public int RankCount => _ranks.Count;

    /// <summary>Every special token (named and reserved) by name.</summary>
    public IReadOnlyDictionary<string, int> SpecialTokens { get; }

    /// <summary>The id of a special token by name (e.g. "&lt;|im_end|&gt;").</summary>
    public bool TryGetSpecial(string name, out int id) => SpecialTokens.TryGetValue(name, out id);

    /// <summary>Whether <paramref name="id"/> is a special id (at or above <see cref="RankCount"/>, below
    /// <see cref="VocabSize"/>).</summary>
    public bool IsSpecial(int id) => id >= RankCount && id < VocabSize;

    /// <summary>Encodes text; special-token names become special ids unless <paramref name="allowSpecial"/> is
    /// false.</summary>
    public int[] Encode(string text, bool allowSpecial = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        var output = new List<int>(text.Length / 3 + 4);
        Encode(text.AsSpan(), output, allowSpecial);
        return output.ToArray();
    }

    /// <summary>
    /// Appends the ids of <paramref name="text"/> to <paramref name="output"/>. With <paramref name="allowSpecial"/>
    /// false, special-token names are encoded as plain text (use it for untrusted input). A lone surrogate is
    /// encoded as U+FFFD, as tiktoken does.
    /// </summary>
    public void Encode(ReadOnlySpan<char> text, List<int> output, bool allowSpecial = true)
    {
        ArgumentNullException.ThrowIfNull(output);
        byte[] scratch = ArrayPool<byte>.Shared.Rent(256);
        try
        {
            while (true)
            {
                int found = -1, length = 0, id = 0;
                if (allowSpecial) found = _finder.Find(text, out length, out id);
                EncodeOrdinary(found < 0 ? text : text[..found], output, ref scratch);
                if (found < 0) return;
                output.Add(id);
                text = text[(found + length)..];
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    /// <summary>The bytes of a token; a special id gives its name in UTF-8.</summary>
    public ReadOnlySpan<byte> TokenBytes(int id)
    {
        if (id >= 0 && id < RankCount) return _ranks.Bytes(id);
        if (IsSpecial(id)) return _specialBytes[id - RankCount];
        throw new ArgumentOutOfRangeException(
            nameof(id), id, $"token id {id} is outside the vocabulary [0, {VocabSize})");
    }

    /// <summary>Joins the tokens' bytes and decodes them as UTF-8, invalid sequences becoming U+FFFD.</summary>
    public string Decode(ReadOnlySpan<int> ids)
    {
        int total = 0;
        foreach (int id in ids) total = checked(total + TokenBytes(id).Length);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(Math.Max(total, 1));
        try
        {
            int at = 0;
            foreach (int id in ids)
            {
                var bytes = TokenBytes(id);
                bytes.CopyTo(buffer.AsSpan(at));
                at += bytes.Length;
            }
            return Encoding.UTF8.GetString(buffer, 0, total);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>A decoder for one stream of ids (one per generation; it is not thread-safe itself).</summary>
    public StreamingDecoder CreateStreamingDecoder() => new(this);

    private void EncodeOrdinary(ReadOnlySpan<char> text, List<int> output, ref byte[] scratch)
    {
        for (int start = 0; start < text.Length;)
        {
            int end = PreTokenizer.PieceEnd(text, start);
            EncodePiece(text[start..end], output, ref scratch);
            start = end;
        }
    }

    private void EncodePiece(ReadOnlySpan<char> piece, List<int> output, ref byte[] scratch)
    {
        if (piece.Length * 3 > scratch.Length)
        {
            ArrayPool<byte>.Shared.Return(scratch);
            scratch = ArrayPool<byte>.Shared.Rent(piece.Length * 3);
        }
        Utf8.FromUtf16(piece, scratch, out _, out int byteCount, replaceInvalidSequences: true);
        var bytes = scratch.AsSpan(0, byteCount);

        int rank = _ranks.RankOf(bytes);
        if (rank >= 0)
        {
            output.Add(rank);
            return;
        }
        if (piece.Length > MaxCachedPieceChars)
        {
            BytePairMerge.Encode(_ranks, bytes, output);
            return;
        }
        if (_cache.TryGet(piece, out var cached))
        {
            output.AddRange(cached);
            return;
        }
        int first = output.Count;
        BytePairMerge.Encode(_ranks, bytes, output);
        _cache.Add(piece, CollectionsMarshal.AsSpan(output)[first..]);
    }
}

// A synthetic BPE vocabulary learned cheaply from sample text, for tokenizer tests and benchmarks: the 256
// single bytes, then byte substrings of the text's pre-tokenizer pieces (frequent ones are drawn more often)
// interleaved with concatenations of two earlier tokens (so long tokens are reachable by merges), written in
// K2's format (tiktoken.model + tokenizer_config.json with K2's 256 special ids after the ranks).
// A real vocabulary never spans two pieces; with spanPieces the substrings are drawn from the raw text, so
// that a tokenizer splitting pieces differently from tiktoken produces different ids (the differential test).
using System.Text;
using K2Native.Numerics;
using K2Native.Text;

namespace K2Native.Applications.Synth;

/// <summary>Writes tokenizer files with a vocabulary of any size drawn from sample text.</summary>
internal static class SynthVocabulary
{
    /// <summary>Writes a vocabulary of <paramref name="ranks"/> ranks learned from
    /// <paramref name="samples"/>.</summary>
    public static void Write(
        string directory, IReadOnlyList<string> samples, int ranks, ulong seed, bool spanPieces = false,
        int maxTokenBytes = 16)
    {
        var tokens = Learn(samples, ranks, seed, spanPieces, maxTokenBytes);
        using (var model = new StreamWriter(
            Path.Combine(directory, "tiktoken.model"), false, new UTF8Encoding(false)) { NewLine = "\n" })
            for (int rank = 0; rank < tokens.Count; rank++)
                model.WriteLine($"{Convert.ToBase64String(tokens[rank])} {rank}");
        SynthTokenizer.WriteConfig(directory, tokens.Count);
    }

    private static List<byte[]> Learn(
        IReadOnlyList<string> samples, int ranks, ulong seed, bool spanPieces, int maxTokenBytes)
    {
        if (ranks < 256) throw new ArgumentException($"a byte-level vocabulary needs at least 256 ranks, got {ranks}");
        var pieces = new List<byte[]>();
        foreach (var sample in samples)
        {
            if (spanPieces)
            {
                AddPiece(sample);
                continue;
            }
            for (int start = 0; start < sample.Length;)
            {
                int end = PreTokenizer.PieceEnd(sample, start);
                AddPiece(sample[start..end]);
                start = end;
            }
        }
        if (pieces.Count == 0)
            throw new ArgumentException("the sample text has no piece of two bytes or more to learn from");

        var tokens = new List<byte[]>(ranks);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int b = 0; b < 256; b++) Add([(byte)b]);
        var random = new SplitMix64(seed);
        int attempts = 0;
        while (tokens.Count < ranks)
        {
            if (++attempts > 50 * ranks)
                throw new ArgumentException($"the sample text is too small to draw {ranks} distinct tokens from");
            if (random.Next() % 3 == 0)
            {
                // A concatenation of two tokens drawn from the later half, so merges chain into long tokens.
                var a = tokens[Later(ref random, tokens.Count)];
                var b = tokens[Later(ref random, tokens.Count)];
                if (a.Length + b.Length <= maxTokenBytes) Add([.. a, .. b]);
            }
            else
            {
                var piece = pieces[(int)(random.Next() % (ulong)pieces.Count)];
                int start = (int)(random.Next() % (ulong)(piece.Length - 1));
                int length = 2 + (int)(random.Next() % (ulong)Math.Min(maxTokenBytes - 1, piece.Length - start - 1));
                Add(piece.AsSpan(start, length).ToArray());
            }
        }
        return tokens;

        void AddPiece(string text)
        {
            var bytes = Encoding.UTF8.GetBytes(text);
            if (bytes.Length >= 2) pieces.Add(bytes);
        }

        void Add(byte[] token)
        {
            if (seen.Add(Convert.ToBase64String(token))) tokens.Add(token);
        }
    }

    private static int Later(ref SplitMix64 random, int count) => count / 2
        + (int)(random.Next() % (ulong)(count - count / 2));
}

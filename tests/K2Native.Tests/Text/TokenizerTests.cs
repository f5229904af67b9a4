// Encoding, special tokens, decoding with replacement and streaming decode on small in-memory vocabularies;
// the long-input cases check that merging is not quadratic (timings live in `k2 bench tokenizer`).
using System.Text;
using K2Native.Text;

namespace K2Native.Tests.Text;

public sealed class TokenizerTests
{
    private readonly Tokenizer _english = TestVocabulary.English();

    [Fact]
    public void MergesByRankWithinPieces()
    {
        // "hello" is a token; " world" too; merging never crosses the piece boundary between them.
        Assert.Equal([256 + 3, 256 + 8], _english.Encode("hello world"));
        // "aaaaa": aa (256+9) merges first, leftmost first: [aa][aa][a] -> [aaaa][a].
        Assert.Equal([256 + 10, 'a'], _english.Encode("aaaaa"));
        Assert.Equal([256 + 13, 256 + 12, 'a'], _english.Encode("abababa"));
    }

    [Fact]
    public void SpecialNamesBecomeSpecialIdsUnlessDisallowed()
    {
        int imEnd = _english.SpecialTokens["<|im_end|>"];
        Assert.Equal(_english.RankCount + 2, imEnd);
        Assert.Equal([256 + 3, imEnd, 256 + 3], _english.Encode("hello<|im_end|>hello"));

        var plain = _english.Encode("hello<|im_end|>hello", allowSpecial: false);
        Assert.DoesNotContain(plain, _english.IsSpecial);
        Assert.Equal("hello<|im_end|>hello", _english.Decode(plain));
    }

    [Fact]
    public void LongestSpecialNameWinsAtTheLeftmostPosition()
    {
        var ids = _english.Encode("a<|im_end|>xy<|im<|im_user|>");
        var specials = ids.Where(_english.IsSpecial).Select(id => _english.Decode([id])).ToArray();
        Assert.Equal(["<|im_end|>x", "<|im", "<|im_user|>"], specials);
    }

    [Fact]
    public void SpecialTokenEndsTheTextBeforeIt()
    {
        // Ordinary text stops at the special token, so the two spaces end it and stay one piece (alternative 7
        // takes a whole run at the end); before a letter the run gives its last space to the next piece.
        int twoSpaces = 256 + 16;
        Assert.Equal(['a', twoSpaces, _english.SpecialTokens["<think>"]], _english.Encode("a  <think>"));
        Assert.Equal(['a', ' ', ' ', 'b'], _english.Encode("a  b"));
    }

    [Fact]
    public void TokenBytesOfSpecialIsItsName()
    {
        Assert.Equal("<think>"u8.ToArray(), _english.TokenBytes(_english.SpecialTokens["<think>"]).ToArray());
        Assert.Equal("hello"u8.ToArray(), _english.TokenBytes(256 + 3).ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => _english.TokenBytes(_english.VocabSize));
        Assert.Throws<ArgumentOutOfRangeException>(() => _english.Decode([-1]));
    }

    [Fact]
    public void DecodeReplacesInvalidUtf8LikeAWholeTextDecoder()
    {
        // 0xE6 0xBC (an unfinished 3-byte character) then 'a', and a stray continuation byte.
        Assert.Equal("\uFFFDa\uFFFD", _english.Decode([0xE6, 0xBC, 'a', 0x80]));
        Assert.Equal("漢", _english.Decode([0xE6, 0xBC, 0xA2]));
        Assert.Equal("\uFFFD", _english.Decode([0xF0, 0x9F]));
        Assert.Equal("", _english.Decode([]));
    }

    [Fact]
    public void LoneSurrogatesEncodeAsReplacementCharacter()
    {
        Assert.Equal(_english.Encode("a\uFFFDb"), _english.Encode("a\uD800b"));
        Assert.Equal("\uFFFD", _english.Decode(_english.Encode("\uDC00")));
    }

    [Fact]
    public void RoundTripsMixedText()
    {
        const string text = "Hello wörld 漢字 😀👩‍💻 \r\n\t<|im_end|> it's 1234 ½";
        Assert.Equal(text, _english.Decode(_english.Encode(text)));
        var list = new List<int> { 42 };
        _english.Encode(text.AsSpan(), list);
        Assert.Equal(42, list[0]);
        Assert.Equal(_english.Encode(text), list.Skip(1));
    }

    [Theory]
    [InlineData("a")]
    [InlineData(" ")]
    [InlineData("漢")]
    [InlineData(".")]
    [InlineData("7")]
    [InlineData("ab")]
    public void MegabyteLineOfOneCharacterEncodes(string unit)
    {
        string text = string.Concat(Enumerable.Repeat(unit, (1 << 20) / unit.Length));
        var ids = _english.Encode(text);
        Assert.Equal(text, _english.Decode(ids));
        if (unit == "a") Assert.Equal((1 << 20) / 8, ids.Length);
    }

    [Fact]
    public void MergingMatchesAPlainReferenceOnShortAndLongPieces()
    {
        // Lengths on both sides of BytePairMerge.ShortPiece: the quadratic scan and the heap must agree with it.
        var random = new Random(3);
        var ranks = RanksOf(_english);
        for (int trial = 0; trial < 400; trial++)
        {
            int length = 2 + random.Next(2 * BytePairMerge.ShortPiece);
            var bytes = Encoding.UTF8.GetBytes(
                new string(Enumerable.Range(0, length).Select(_ => "aabhelowrd"[random.Next(10)]).ToArray()));
            var merged = new List<int>();
            BytePairMerge.Encode(ranks, bytes, merged);
            Assert.True(
                ReferenceMerge(_english, bytes).SequenceEqual(merged), $"piece '{Encoding.UTF8.GetString(bytes)}'");
        }
    }

    [Fact]
    public void StreamingDecodeEqualsWholeDecode()
    {
        var random = new Random(11);
        // Bytes that cut multi-byte characters anywhere, invalid sequences, specials, and merged tokens.
        var interesting = new List<int>();
        foreach (var text in new[] { "漢字😀é", "\u0800\uFFFF\U00010000\U0010FFFF" })
            interesting.AddRange(Encoding.UTF8.GetBytes(text).Select(b => (int)b));
        interesting.AddRange([0x80, 0xBF, 0xC0, 0xC1, 0xC2, 0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF, 'a', 256 + 3]);
        interesting.AddRange(_english.SpecialTokens.Values);
        for (int trial = 0; trial < 5000; trial++)
        {
            var ids = Enumerable.Range(0, random.Next(12))
                .Select(_ => interesting[random.Next(interesting.Count)])
                .ToArray();
            var decoder = _english.CreateStreamingDecoder();
            var streamed = new StringBuilder();
            foreach (int id in ids)
            {
                string delta = decoder.Push(id);
                Assert.False(delta.Length > 0 && char.IsHighSurrogate(delta[^1]), "half a surrogate pair was emitted");
                streamed.Append(delta);
            }
            streamed.Append(decoder.Flush());
            Assert.True(_english.Decode(ids) == streamed.ToString(), $"ids [{string.Join(' ', ids)}]");
        }
    }

    [Fact]
    public void StreamingDecodeHoldsUnfinishedCharacters()
    {
        var decoder = _english.CreateStreamingDecoder();
        Assert.Equal("", decoder.Push(0xF0));
        Assert.Equal("", decoder.Push(0x9F));
        Assert.Equal("", decoder.Push(0x98));
        Assert.Equal("😀", decoder.Push(0x80));
        Assert.Equal("a", decoder.Push('a'));
        Assert.Equal("", decoder.Push(0xE6));
        Assert.Equal("\uFFFDb", decoder.Push('b'));
        Assert.Equal("", decoder.Push(0xC3));
        Assert.Equal("\uFFFD", decoder.Flush());
        Assert.Equal("", decoder.Flush());
    }

    [Fact]
    public void ConcurrentEncodesAgree()
    {
        var texts = Enumerable.Range(0, 64)
            .Select(i => $"hello world {i} aaaa{new string('a', i)} 漢字{i}")
            .ToArray();
        var expected = texts.Select(t => _english.Encode(t)).ToArray();
        var fresh = TestVocabulary.English();
        Parallel.For(0, 2000, i => Assert.Equal(expected[i % 64], fresh.Encode(texts[i % 64])));
    }

    private static RankTable RanksOf(Tokenizer tokenizer) =>
        new(Enumerable.Range(0, tokenizer.RankCount).Select(r => tokenizer.TokenBytes(r).ToArray()).ToList());

    // tiktoken's algorithm, written as plainly as possible: merge the lowest-ranked adjacent pair, leftmost first.
    private static List<int> ReferenceMerge(Tokenizer tokenizer, byte[] piece)
    {
        var ranks = Enumerable.Range(0, tokenizer.RankCount).ToDictionary(
            r => Convert.ToBase64String(tokenizer.TokenBytes(r)), r => r);
        var parts = piece.Select(b => new[] { b }).ToList();
        while (true)
        {
            int best = -1, bestRank = int.MaxValue;
            for (int i = 0; i + 1 < parts.Count; i++)
                if (ranks.TryGetValue(Convert.ToBase64String([.. parts[i], .. parts[i + 1]]), out int r)
                    && r < bestRank)
                    (best, bestRank) = (i, r);
            if (best < 0) return parts.Select(p => ranks[Convert.ToBase64String(p)]).ToList();
            parts[best] = [.. parts[best], .. parts[best + 1]];
            parts.RemoveAt(best + 1);
        }
    }
}

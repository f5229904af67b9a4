// Differential test against tiktoken itself (tests/tiktoken-diff): a few MB of seeded adversarial text
// (RandomText) encoded by both, on the fixture's vocabulary, the bundled one and vocabularies learned here from
// the test text itself, with many multi-byte merges and tokens that span piece boundaries (so that a piece split
// differently changes the ids), with and without special tokens; ids must be identical. A mismatch
// is shrunk to a smallest failing text and printed with its code points. Needs `npm ci` in tests/tiktoken-diff.
using System.Text;
using K2Native.Applications.Synth;
using K2Native.Tests.Support;
using K2Native.Text;
using Xunit.Abstractions;

namespace K2Native.Tests.Text;

public sealed class TiktokenDifferentialTests(ITestOutputHelper output)
{
    private static readonly string[] EdgeCases =
    [
        "", " ", "  ", "\n", "\r\n", " \r\n ", "a  b", "a \n b", "x\t\ty", "\u00A0\u00A0a", "  \u3000\u3000x", "\uD800", "a\uDC00b",
        "\uD83D", "😀\uD83D", "\uDE00\uD83D", "'s", "'S'LL'Re", "it's", "IT'S", "ſ'ſ", "A'ſ", "x' s", "123456789", "١٢٣٤", "½½½½",
        "漢字かな", "漢\u0301", "〇〇〇", "\u3005\u3005x", "⺀⺁", "\u0301abc", "\u0301ABC", "\u0301ABC def", "ǅǅ", "ʰʰABC", "Aʰ "
            + "B",
        "<|im_end|><|im_end|>", "<|im_end|", "a<|im_user|>b", "  <|im_end|>", "[BOS][EOS]", "<think></think>",
        "<|reserved_token_999|>",
        "hello world", "HELLO WORLD", "...\n\n\n", " !!\r\n\r\n", "\r\r\n\n \t", "x\u2028\u2029y", "\u0085\u0085",
    ];

    // Single pieces of thousands of bytes take the heap merge; tiktoken's own merge is quadratic, so not longer.
    private static readonly string[] LongPieces =
    [
        new string('a', 8000), new string(' ', 8000), new string('漢', 3000), string.Concat(
            Enumerable.Repeat("ab", 4000)),
        string.Concat(Enumerable.Repeat("the", 2500)) + " x", new string(' ', 5000) + "x", new string('\n', 3000)
            + new string(' ', 500),
        string.Concat(Enumerable.Repeat("Ab", 3000)),
        string.Concat(Enumerable.Repeat("😀", 2000)),
        new string('7', 5000),
    ];

    [TiktokenFact(needsShared: true)]
    public void FixtureVocabularyMatchesTiktoken() => Compare(
        SharedFixtures.TinyK2, Corpus(1, 2500), allowSpecial: true);

    [TiktokenFact]
    public void BundledVocabularyMatchesTiktoken() =>
        Compare(
            Path.Combine(SharedFixtures.RepositoryRoot, "models", "tiny-random"), Corpus(2, 800), allowSpecial: true);

    [TiktokenFact]
    public void LearnedVocabularyMatchesTiktoken()
    {
        using var directory = new TempDirectory();
        var corpus = Corpus(3, 2500);
        SynthVocabulary.Write(directory.Path, corpus, ranks: 60_000, seed: 5, spanPieces: true);
        Compare(directory.Path, corpus, allowSpecial: true);
    }

    [TiktokenFact]
    public void SpecialNamesAsPlainTextMatchTiktokenOrdinary()
    {
        using var directory = new TempDirectory();
        var corpus = Corpus(6, 600);
        SynthVocabulary.Write(directory.Path, corpus, ranks: 20_000, seed: 7, spanPieces: true);
        Compare(directory.Path, corpus, allowSpecial: false);
    }

    [TiktokenFact]
    public void CharacterClassesMatchTiktokenOnEveryCodePoint()
    {
        var classes = TiktokenReference.Classes();
        var flags = new Dictionary<string, CharClass>
        {
            ["han"] = CharClass.Han, ["letter"] = CharClass.Letter, ["number"] = CharClass.Number,
            ["space"] = CharClass.Space, ["upperLike"] = CharClass.UpperLike, ["lowerLike"] = CharClass.LowerLike,
        };
        Assert.Equal(flags.Keys.Order(), classes.Keys.Order());
        foreach (var (name, flag) in flags)
        {
            var members = new HashSet<int>(
                classes[name].SelectMany(r => Enumerable.Range(r.First, r.Last - r.First + 1)));
            var wrong = Enumerable.Range(0, 0x110000)
                .Where(cp => cp is < 0xD800 or > 0xDFFF && members.Contains(cp) != ((CharClasses.Of(cp) & flag) != 0))
                .Take(10).ToList();
            Assert.True(
                wrong.Count == 0,
                $"{name}: code points classed differently from tiktoken: "
                + $"{string.Join(' ', wrong.Select(cp => $"U+{cp:X4}"))}");
        }
    }

    private static List<string> Corpus(int seed, int count)
    {
        var names = SynthTokenizer.NamedSpecials.Values.Append("<|reserved_token_999|>").ToList();
        var random = new RandomText(seed, names);
        var texts = new List<string>(EdgeCases.Concat(LongPieces));
        for (int i = 0; i < count; i++) texts.Add(random.Next(i % 50 == 0 ? 400 : 40));
        return texts;
    }

    private void Compare(string checkpoint, List<string> texts, bool allowSpecial)
    {
        var tokenizer = Tokenizer.Load(checkpoint);
        var expected = TiktokenReference.Encode(checkpoint, texts, allowSpecial);
        long bytes = texts.Sum(t => (long)Encoding.UTF8.GetByteCount(t));
        output.WriteLine(
            $"{texts.Count} texts, {bytes / 1e6:F2} MB of UTF-8, {expected.Sum(e => e.Length)} tokens, vocabulary "
            + $"{checkpoint}");

        var failing = Enumerable.Range(0, texts.Count).Where(
            i => !expected[i].SequenceEqual(tokenizer.Encode(texts[i], allowSpecial))).ToList();
        if (failing.Count == 0) return;

        string smallest = Shrink(texts[failing[0]], candidates =>
        {
            var reference = TiktokenReference.Encode(checkpoint, candidates, allowSpecial);
            return candidates
                .Select((t, i) => !reference[i].SequenceEqual(tokenizer.Encode(t, allowSpecial)))
                .ToArray();
        });
        var want = TiktokenReference.Encode(checkpoint, [smallest], allowSpecial)[0];
        Assert.Fail($"{failing.Count} of {texts.Count} texts differ from tiktoken (vocabulary {checkpoint}). Smallest "
            + "failing text:\n"
                    + $"  {TiktokenReference.JsonArrayOfStrings([smallest])}\n"
                    + $"  code points: {string.Join(' ', CodeUnits(smallest))}\n"
                    + $"  tiktoken: [{string.Join(' ', want)}]\n  ours:     "
                        + $"[{string.Join(' ', tokenizer.Encode(smallest, allowSpecial))}]");
    }

    // Delta debugging over code points: drop ever smaller chunks while the text still fails, testing every
    // candidate of one round in a single call to the reference.
    private static string Shrink(string text, Func<List<string>, bool[]> fails)
    {
        var units = CodeUnitsOf(text);
        int chunk = Math.Max(1, units.Count / 2);
        for (int round = 0; round < 300 && units.Count > 1; round++)
        {
            var candidates = new List<List<string>>();
            for (int start = 0; start < units.Count; start += chunk)
                candidates.Add([.. units.Take(start), .. units.Skip(start + chunk)]);
            var verdicts = fails(candidates.Select(c => string.Concat(c)).ToList());
            int hit = Array.IndexOf(verdicts, true);
            if (hit >= 0) units = candidates[hit];
            else if (chunk == 1) break;
            else chunk = Math.Max(1, chunk / 2);
            chunk = Math.Min(chunk, Math.Max(1, units.Count / 2));
        }
        return string.Concat(units);
    }

    // Code points, keeping lone surrogates as themselves.
    private static List<string> CodeUnitsOf(string text)
    {
        var units = new List<string>();
        for (int i = 0; i < text.Length; i++)
        {
            bool pair = char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]);
            units.Add(pair ? text.Substring(i++, 2) : text[i].ToString());
        }
        return units;
    }

    private static IEnumerable<string> CodeUnits(string text) =>
        CodeUnitsOf(text).Select(u => u.Length == 2 ? $"U+{char.ConvertToUtf32(u[0], u[1]):X4}" : $"U+{(int)u[0]:X4}");
}

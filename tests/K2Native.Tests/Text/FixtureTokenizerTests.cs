// Ids for ../shared/fixtures/tiny-k2/reference/tokenizer.json, produced by tiktoken with K2's split pattern:
// ours must be identical for every text, and decoding them must give the text back.
using System.Text.Json;
using K2Native.Tests.Support;
using K2Native.Text;

namespace K2Native.Tests.Text;

public sealed class FixtureTokenizerTests
{
    private static readonly Lazy<Tokenizer> Fixture = new(() => Tokenizer.Load(SharedFixtures.TinyK2));

    public static TheoryData<int> Cases()
    {
        var data = new TheoryData<int>();
        int count = SharedFixtures.Directory is null ? 1 : Reference().Count;
        for (int i = 0; i < count; i++) data.Add(i);
        return data;
    }

    [SharedTheory]
    [MemberData(nameof(Cases))]
    public void IdsMatchTiktoken(int index)
    {
        var (text, expected) = Reference()[index];
        var actual = Fixture.Value.Encode(text);
        Assert.True(expected.SequenceEqual(actual),
            $"case {index} {JsonSerializer.Serialize(text)}:\n expected [{string.Join(' ', expected)}]\n actual   "
            + $"[{string.Join(' ', actual)}]");
        Assert.Equal(text, Fixture.Value.Decode(actual));
    }

    [SharedFact]
    public void LoadsFixtureVocabulary()
    {
        var tokenizer = Fixture.Value;
        Assert.Equal(768, tokenizer.RankCount);
        Assert.Equal(1024, tokenizer.VocabSize);
        Assert.Equal(256, tokenizer.SpecialTokens.Count);
        Assert.True(tokenizer.TryGetSpecial("<|im_end|>", out int imEnd));
        Assert.Equal(770, imEnd);
        Assert.Equal(773, tokenizer.SpecialTokens["<|reserved_token_773|>"]);
        Assert.True(tokenizer.IsSpecial(1023) && !tokenizer.IsSpecial(767) && !tokenizer.IsSpecial(1024));
    }

    private static List<(string Text, int[] Ids)> Reference()
    {
        using var document = JsonDocument.Parse(
            File.ReadAllBytes(SharedFixtures.Path("fixtures", "tiny-k2", "reference", "tokenizer.json")));
        return document.RootElement.EnumerateArray()
            .Select(
                e => (
                    e.GetProperty("text").GetString()!,
                    e.GetProperty("ids").EnumerateArray().Select(i => i.GetInt32()).ToArray()))
            .ToList();
    }
}

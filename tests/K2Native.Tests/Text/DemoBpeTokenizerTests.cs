// The demo model's tokenizer trainer (tools/demo-model/k2demo/bpe.py) against the engine: a 1024-rank vocabulary
// it trained, a held-out corpus and the ids bpe.py gives each line (tools/demo-model/testdata/bpe, written by
// tools/demo-model/tests/make_bpe_testdata.py). The engine must load the files with K2's special-token layout,
// give the same ids for every line and decode them back to the text.
using System.Text.Json;
using K2Native.Tests.Support;
using K2Native.Text;

namespace K2Native.Tests.Text;

public sealed class DemoBpeTokenizerTests
{
    private static readonly string TestData = Path.Combine(
        SharedFixtures.RepositoryRoot, "tools", "demo-model", "testdata", "bpe");

    private static readonly Lazy<Tokenizer> Trained = new(() => Tokenizer.Load(TestData));

    [Fact]
    public void LoadsWithK2SpecialLayout()
    {
        var tokenizer = Trained.Value;
        Assert.Equal(1024, tokenizer.RankCount);
        Assert.Equal(1024 + 256, tokenizer.VocabSize);
        Assert.Equal(256, tokenizer.SpecialTokens.Count);
        foreach (var (offset, name) in new[]
                 {
                     (0, "[BOS]"), (1, "[EOS]"), (2, "<|im_end|>"), (3, "<|im_user|>"), (4, "<|im_assistant|>"),
                     (10, "<|im_system|>"), (11, "<|tool_calls_section_begin|>"), (15, "<|tool_call_end|>"),
                     (17, "<|im_middle|>"), (22, "<think>"), (23, "</think>"), (254, "[UNK]"), (255, "[PAD]"),
                     (5, "<|reserved_token_1029|>"),
                 })
            Assert.Equal(1024 + offset, tokenizer.SpecialTokens[name]);
    }

    [Fact]
    public void IdsMatchTheTrainerAndDecodeBack()
    {
        var tokenizer = Trained.Value;
        var (texts, expected) = Corpus();
        Assert.True(texts.Count > 100, $"expected a corpus in {TestData}");
        for (int line = 0; line < texts.Count; line++)
        {
            var actual = tokenizer.Encode(texts[line]);
            Assert.True(expected[line].SequenceEqual(actual),
                $"corpus.jsonl line {line + 1} {JsonSerializer.Serialize(texts[line])}:\n expected "
                + $"[{string.Join(' ', expected[line])}]\n actual   [{string.Join(' ', actual)}]");
            Assert.Equal(texts[line], tokenizer.Decode(actual));
        }
    }

    [TiktokenFact]
    public void TrainerIdsAreTiktokens()
    {
        var (texts, expected) = Corpus();
        var reference = TiktokenReference.Encode(TestData, texts);
        for (int line = 0; line < texts.Count; line++)
            Assert.True(
                expected[line].SequenceEqual(reference[line]),
                $"expected-ids.jsonl line {line + 1} differs from tiktoken's ids");
    }

    private static (List<string> Texts, List<int[]> Ids) Corpus()
    {
        var texts = File.ReadLines(Path.Combine(TestData, "corpus.jsonl")).Select(
            l => JsonSerializer.Deserialize<string>(l)!).ToList();
        var ids = File.ReadLines(Path.Combine(TestData, "expected-ids.jsonl")).Select(
            l => JsonSerializer.Deserialize<int[]>(l)!).ToList();
        Assert.Equal(texts.Count, ids.Count);
        return (texts, ids);
    }
}

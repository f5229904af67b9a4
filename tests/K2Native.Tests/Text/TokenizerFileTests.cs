// Loading tokenizer files: reserved names for unnamed special ids, any vocabulary size, and a clear error
// naming the file and the line or field for each kind of malformed input.
using System.Text;
using K2Native.Applications.Synth;
using K2Native.Checkpoint;
using K2Native.Tests.Support;
using K2Native.Text;

namespace K2Native.Tests.Text;

public sealed class TokenizerFileTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void BundledCheckpointLoads()
    {
        var tokenizer = Tokenizer.Load(Path.Combine(SharedFixtures.RepositoryRoot, "models", "tiny-random"));
        Assert.Equal(768, tokenizer.RankCount);
        Assert.Equal(1024, tokenizer.VocabSize);
        Assert.Equal(768 + 22, tokenizer.SpecialTokens["<think>"]);
        Assert.Equal(768 + 5, tokenizer.SpecialTokens["<|reserved_token_773|>"]);
    }

    [Fact]
    public void UnnamedIdsBetweenNamedOnesAreReserved()
    {
        WriteModel(300);
        WriteConfig("""{"added_tokens_decoder": {"300": {"content": "[BOS]"}, "303": {"content": "<|x|>"}}}""");
        var tokenizer = Tokenizer.Load(_dir.Path);
        Assert.Equal(304, tokenizer.VocabSize);
        Assert.Equal(301, tokenizer.SpecialTokens["<|reserved_token_301|>"]);
        Assert.Equal(302, tokenizer.SpecialTokens["<|reserved_token_302|>"]);
        Assert.Equal("<|reserved_token_302|>", tokenizer.Decode([302]));
    }

    [Fact]
    public void ConfigWithoutAddedTokensHasNoSpecials()
    {
        WriteModel(256);
        WriteConfig("""{"tokenizer_class": "TikTokenTokenizer"}""");
        var tokenizer = Tokenizer.Load(_dir.Path);
        Assert.Equal(256, tokenizer.VocabSize);
        Assert.Equal([(int)'<', '|', 'x', '|', '>'], tokenizer.Encode("<|x|>"));
    }

    [Fact]
    public void LargeVocabularyLoads()
    {
        var samples = Enumerable.Range(0, 200)
            .Select(i => $"sample {i} text with words, numbers {i * 7919} and 漢字 {i}")
            .ToList();
        SynthVocabulary.Write(_dir.Path, samples, ranks: 5000, seed: 1);
        var tokenizer = Tokenizer.Load(_dir.Path);
        Assert.Equal(5000, tokenizer.RankCount);
        Assert.Equal(5256, tokenizer.VocabSize);
        Assert.Equal(samples[17], tokenizer.Decode(tokenizer.Encode(samples[17])));
    }

    [Theory]
    [InlineData("AA== 0\n!!! 1\n", "line 2: '!!!' is not valid base64")]
    [InlineData("AA== 0\nAQ== 0\n", "line 2: duplicate rank 0 (also on line 1)")]
    [InlineData("AA== 0\nAA== 1\n", "line 2: duplicate token bytes (the same as rank 0 on line 1)")]
    [InlineData("AA== 0\nAQ== 2\n", "line 2: rank 2 but the file has 2 ranks: ranks must run from 0 to 1 without gaps")]
    [InlineData("AA== 0\nAQ== 2000000000\n", "line 2: rank 2000000000 but the file has 2 ranks")]
    [InlineData("AA== 0\nAQ==\n", "line 2: expected `base64 rank`")]
    [InlineData("AA== 0\nAQ== -1\n", "line 2: rank '-1' is not a non-negative integer")]
    [InlineData("AA== 0\n", "byte 0x01 has no rank of its own")]
    [InlineData("", "no ranks")]
    public void MalformedModelFileIsNamedWithLine(string model, string expected)
    {
        File.WriteAllText(_dir.File("tiktoken.model"), model);
        WriteConfig("{}");
        var e = Assert.Throws<CheckpointException>(() => Tokenizer.Load(_dir.Path));
        Assert.Contains("tiktoken.model", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Theory]
    [InlineData("{not json", "malformed JSON")]
    [InlineData("[]", "the top level is not a JSON object")]
    [InlineData("""{"added_tokens_decoder": []}""", "field 'added_tokens_decoder': not a JSON object")]
    [InlineData(
        """{"added_tokens_decoder": {"255": {"content": "[BOS]"}}}""",
        "field 'added_tokens_decoder.255': special id 255 collides with a BPE rank")]
    [InlineData(
        """{"added_tokens_decoder": {"x": {"content": "[BOS]"}}}""",
        "field 'added_tokens_decoder.x': the key is not a token id")]
    [InlineData("""{"added_tokens_decoder": {"256": {"content": 5}}}""", "expected an object with a string 'content'")]
    [InlineData(
        """{"added_tokens_decoder": {"256": {"content": "a"}, "257": {"content": "a"}}}""",
        "'a' is already the name of id 256")]
    [InlineData("""{"added_tokens_decoder": {"256": {"content": ""}}}""", "empty token name")]
    [InlineData(
        """{"added_tokens_decoder": {"256": {"content": "<|reserved_token_257|>"}, "258": {"content": "b"}}}""",
        "is the reserved name of unnamed id 257")]
    public void MalformedConfigIsNamedWithField(string config, string expected)
    {
        WriteModel(256);
        WriteConfig(config);
        var e = Assert.Throws<CheckpointException>(() => Tokenizer.Load(_dir.Path));
        Assert.Contains("tokenizer_config.json", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void MissingFileIsNamed()
    {
        WriteModel(256);
        var e = Assert.Throws<CheckpointException>(() => Tokenizer.Load(_dir.Path));
        Assert.Contains("tokenizer_config.json: not found", e.Message);
    }

    private void WriteModel(int ranks)
    {
        var model = new StringBuilder();
        for (int b = 0; b < 256; b++) model.Append($"{Convert.ToBase64String([(byte)b])} {b}\n");
        for (int r = 256; r < ranks; r++)
            model.Append($"{Convert.ToBase64String(Encoding.UTF8.GetBytes($"t{r}"))} {r}\n");
        File.WriteAllText(_dir.File("tiktoken.model"), model.ToString());
    }

    private void WriteConfig(string json) => File.WriteAllText(_dir.File("tokenizer_config.json"), json);
}

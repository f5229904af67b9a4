// Issue 19, findings A, B and E: text that is not Unicode inside any JSON key or string of a checkpoint's files is a
// CheckpointException naming the file and the JSON path; hostile `re:` patterns in quantization_config cannot make
// loading slow and a pattern the engine cannot match is named; special ids are bounded by config.json's vocabulary.
using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using K2Native.Checkpoint;
using K2Native.Tests.Support;
using K2Native.Text;

namespace K2Native.Tests.Checkpoint;

public sealed class HostileJsonTests : IDisposable
{
    private const string Placeholder = "@@BAD@@";
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>Each spelling of "not text" the fuzz run found: JSON escapes of lone surrogates and raw bad UTF-8
    /// bytes.</summary>
    public static TheoryData<string> BadText =>
        new() { "\\ud800", "\\udc00x", "a\\udbff", "\u00C0\u0080", "\u00E2\u0082" };

    [Theory]
    [MemberData(nameof(BadText))]
    public void SafetensorsHeader_TensorName(string bad) =>
        AssertHeaderProblem(
            "{\"" + Placeholder + "\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}}", bad,
            "(top level)");

    [Theory]
    [MemberData(nameof(BadText))]
    public void SafetensorsHeader_DType(string bad) =>
        AssertHeaderProblem(
            "{\"w\": {\"dtype\": \"" + Placeholder + "\", \"shape\": [1], \"data_offsets\": [0, 4]}}", bad, "w.dtype");

    [Theory]
    [MemberData(nameof(BadText))]
    public void SafetensorsHeader_Metadata(string bad)
    {
        AssertHeaderProblem("{\"__metadata__\": {\"format\": \"" + Placeholder + "\"}}", bad, "__metadata__.format");
        AssertHeaderProblem("{\"__metadata__\": {\"" + Placeholder + "\": \"pt\"}}", bad, "__metadata__");
    }

    [Theory]
    [MemberData(nameof(BadText))]
    public void Index_WeightMap(string bad)
    {
        CheckpointFactory.Write(_dir.Path, shardBytes: 256 * 1024);
        string index = Path.Combine(_dir.Path, SafetensorsCheckpoint.IndexFileName);
        string original = File.ReadAllText(index);
        WriteWithBadText(
            index, original.Replace("\"model.norm.weight\": \"", "\"model.norm.weight\": \"" + Placeholder), bad);
        AssertProblem(
            () => K2Checkpoint.Open(_dir.Path), SafetensorsCheckpoint.IndexFileName, "weight_map.model.norm.weight");
        WriteWithBadText(index, original.Replace("\"model.norm.weight\":", "\"" + Placeholder + "\":"), bad);
        AssertProblem(() => K2Checkpoint.Open(_dir.Path), SafetensorsCheckpoint.IndexFileName, "weight_map");
    }

    [Theory]
    [InlineData("model_type")]
    [InlineData("rope_scaling.type")]
    [InlineData("quantization_config.quant_method")]
    [InlineData("quantization_config.ignore[0]")]
    [InlineData("quantization_config.config_groups.group_0.targets[0]")]
    public void Config_StringFields(string field)
    {
        foreach (string bad in BadText)
        {
            CheckpointFactory.Write(_dir.Path);
            CheckpointFactory.EditConfig(_dir.Path, c => SetAtPath(c, field, Placeholder));
            string config = Path.Combine(_dir.Path, K2Config.FileName);
            WriteWithBadText(config, File.ReadAllText(config), bad);
            var e = AssertProblem(() => K2Checkpoint.Open(_dir.Path), K2Config.FileName, field);
            Assert.Equal(field, e.Field);
        }
    }

    [Theory]
    [MemberData(nameof(BadText))]
    public void Config_AnyTopLevelKey(string bad)
    {
        CheckpointFactory.Write(_dir.Path);
        CheckpointFactory.EditConfig(_dir.Path, c => c["x" + Placeholder] = 1);
        string config = Path.Combine(_dir.Path, K2Config.FileName);
        WriteWithBadText(config, File.ReadAllText(config), bad);
        AssertProblem(() => K2Checkpoint.Open(_dir.Path), K2Config.FileName, "(top level)");
    }

    [Theory]
    [MemberData(nameof(BadText))]
    public void TokenizerConfig_Content(string bad)
    {
        CheckpointFactory.Write(_dir.Path);
        string path = Path.Combine(_dir.Path, "tokenizer_config.json");
        var node = JsonNode.Parse(File.ReadAllText(path))!;
        node["added_tokens_decoder"]!["768"]!["content"] = Placeholder;
        WriteWithBadText(path, node.ToJsonString(), bad);
        AssertProblem(() => Tokenizer.Load(_dir.Path), "tokenizer_config.json", "added_tokens_decoder.768.content");
    }

    [Theory]
    [InlineData(@"re:(.*.*.*.*.*.*.*.*.*.*.*.*.*.*)*X")]
    [InlineData(@"re:.*\.experts\.\d+\.(.|.|.|.|.)*X")]
    [InlineData(@"re:(a|aa)*(a|aa)*(a|aa)*(a|aa)*$")]
    public void CatastrophicPatternsLoadQuickly(string pattern)
    {
        CheckpointFactory.Write(_dir.Path);
        CheckpointFactory.EditConfig(_dir.Path, c => c["quantization_config"]!["ignore"]!.AsArray().Add(pattern));
        var clock = Stopwatch.StartNew();
        using (var checkpoint = K2Checkpoint.Open(_dir.Path))
            Assert.True(checkpoint.Config.Quantization.IsInt4);
        // A hang guard, not a speed target: the backtracking engine took 21 s here on the second pattern.
        Assert.True(
            clock.Elapsed < TimeSpan.FromSeconds(10),
            $"K2Checkpoint.Open took {clock.Elapsed} with ignore pattern {pattern}");
    }

    [Theory]
    [InlineData("ignore", @"re:(?<=x)model", "linear time")]
    [InlineData("ignore", @"re:(a)\1", "linear time")]
    [InlineData("ignore", "re:(", "linear time")]
    [InlineData("config_groups.group_0.targets", "re:[z-a]", "linear time")]
    public void UnusablePatternIsNamed(string list, string pattern, string expected)
    {
        CheckpointFactory.Write(_dir.Path);
        CheckpointFactory.EditConfig(_dir.Path, c =>
        {
            JsonNode node = c["quantization_config"]!;
            foreach (string part in list.Split('.')) node = node[part]!;
            node.AsArray().Add(pattern);
        });
        var e = Assert.ThrowsAny<CheckpointException>(() => K2Checkpoint.Open(_dir.Path));
        Assert.Contains($"quantization_config.{list}[", e.Message);
        Assert.Contains($"pattern '{pattern}'", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void OverlongPatternIsNamed()
    {
        CheckpointFactory.Write(_dir.Path);
        CheckpointFactory.EditConfig(
            _dir.Path, c => c["quantization_config"]!["ignore"]!.AsArray().Add("re:" + new string('a', 5000)));
        var e = Assert.ThrowsAny<CheckpointException>(() => K2Checkpoint.Open(_dir.Path));
        Assert.Contains("over the 1024-character limit", e.Message);
    }

    [Fact]
    public void SpecialIdAboveConfigVocabularyIsRefused()
    {
        CheckpointFactory.Write(_dir.Path);
        string path = Path.Combine(_dir.Path, "tokenizer_config.json");
        var node = JsonNode.Parse(File.ReadAllText(path))!;
        node["added_tokens_decoder"]!["1049343"] = JsonNode.Parse("""{"content": "<|far|>"}""");
        File.WriteAllText(path, node.ToJsonString());
        var e = Assert.Throws<CheckpointException>(() => Tokenizer.Load(_dir.Path));
        Assert.Contains("tokenizer_config.json: field 'added_tokens_decoder.1049343'", e.Message);
        Assert.Contains("not below config.json's vocab_size 1024", e.Message);
    }

    [Fact]
    public void SpecialIdFarAboveRanksIsRefusedWithoutConfig()
    {
        CheckpointFactory.Write(_dir.Path);
        File.Delete(Path.Combine(_dir.Path, K2Config.FileName));
        string path = Path.Combine(_dir.Path, "tokenizer_config.json");
        var node = JsonNode.Parse(File.ReadAllText(path))!;
        node["added_tokens_decoder"]!["1049343"] = JsonNode.Parse("""{"content": "<|far|>"}""");
        File.WriteAllText(path, node.ToJsonString());
        var e = Assert.Throws<CheckpointException>(() => Tokenizer.Load(_dir.Path));
        Assert.Contains("tokenizer_config.json: field 'added_tokens_decoder.1049343'", e.Message);
        Assert.Contains($"more than {TokenizerFiles.MaxSpecialsWithoutConfig} above the last rank", e.Message);
    }

    private void AssertHeaderProblem(string headerTemplate, string bad, string path)
    {
        byte[] json = Splice(headerTemplate, bad);
        var e = Assert.Throws<CheckpointException>(
            () => SafetensorsHeader.Parse(json, 8 + json.Length, 4, "x.safetensors"));
        Assert.StartsWith("x.safetensors: field '" + path + "'", e.Message);
        Assert.Contains("not text", e.Message);
    }

    private static CheckpointException AssertProblem(Action load, string file, string path)
    {
        var e = Assert.ThrowsAny<CheckpointException>(load);
        Assert.Contains(file, e.Message);
        Assert.Contains($"field '{path}'", e.Message);
        Assert.Contains("lone surrogate escape or invalid UTF-8", e.Message);
        return e;
    }

    private static void WriteWithBadText(string path, string text, string bad) => File.WriteAllBytes(
        path, Splice(text, bad));

    /// <summary>The UTF-8 of <paramref name="text"/> with the placeholder replaced by <paramref name="bad"/>: an escape
    /// as written, or chars U+0080..U+00FF as raw bytes.</summary>
    private static byte[] Splice(string text, string bad)
    {
        int at = text.IndexOf(Placeholder, StringComparison.Ordinal);
        Assert.True(at >= 0, "placeholder missing");
        byte[] badBytes = bad.Select(c => (byte)c).ToArray();
        return [
            .. Encoding.UTF8.GetBytes(text[..at]), .. badBytes,
            .. Encoding.UTF8.GetBytes(text[(at + Placeholder.Length)..])];
    }

    private static void SetAtPath(JsonObject root, string path, string value)
    {
        var parts = path.Split('.');
        JsonNode node = root;
        foreach (string part in parts[..^1]) node = node[part]!;
        string last = parts[^1];
        int bracket = last.IndexOf('[');
        if (bracket < 0) node[last] = value;
        else node[last[..bracket]]![int.Parse(last[(bracket + 1)..^1])] = value;
    }
}

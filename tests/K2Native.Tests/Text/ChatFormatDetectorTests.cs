// Which chat format a checkpoint directory gets: its template first, then config.json hints, then K2 Thinking.
using K2Native.Tests.Support;
using K2Native.Text;

namespace K2Native.Tests.Text;

public sealed class ChatFormatDetectorTests
{
    private const string ThinkingJinja = "{%- if tools -%}<|im_system|>tool_declare<|im_middle|>{{ tools | tojson "
        + "}}<|im_end|>{%- endif -%}<think>{{rc}}</think>";
    private const string InstructJinja = "{%- for message in messages -%}<|im_user|>user<|im_middle|>{{ "
        + "message['content'] }}<|im_end|>{%- endfor -%}";

    [Theory]
    [InlineData("chat_template.jinja", ThinkingJinja, ChatFormat.Thinking)]
    [InlineData("chat_template.jinja", InstructJinja, ChatFormat.Instruct)]
    public void JinjaFile_Decides(string file, string text, ChatFormat expected)
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File(file), text);
        File.WriteAllText(dir.File("config.json"), "{\"quantization_config\": {\"quant_method\": \"fp8\"}}");
        Assert.Equal(expected, ChatTemplate.DetectFormat(dir.Path, out string reason));
        Assert.Contains(file, reason, StringComparison.Ordinal);
        Assert.Same(ChatTemplate.For(expected), ChatTemplate.ForCheckpoint(dir.Path));
    }

    [Fact]
    public void TokenizerConfigField_StringOrNamedList()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(
            dir.File("tokenizer_config.json"),
            System.Text.Json.JsonSerializer.Serialize(
                new Dictionary<string, string> { ["chat_template"] = InstructJinja }));
        Assert.Equal(ChatFormat.Instruct, ChatTemplate.DetectFormat(dir.Path, out _));

        File.WriteAllText(dir.File("tokenizer_config.json"),
            "{\"chat_template\": [{\"name\": \"tool_use\", \"template\": \"x\"}, {\"name\": \"default\", \"template\": "
            + "\"<think><|im_middle|>\"}]}");
        Assert.Equal(ChatFormat.Thinking, ChatTemplate.DetectFormat(dir.Path, out _));
    }

    [Fact]
    public void ChatTemplateJson_IsRead()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("chat_template.json"), "{\"chat_template\": \"<|im_middle|>\"}");
        Assert.Equal(ChatFormat.Instruct, ChatTemplate.DetectFormat(dir.Path, out _));
    }

    [Theory]
    [InlineData("{\"_name_or_path\": \"moonshotai/Kimi-K2-Instruct-0905\", \"quantization_config\": {\"quant_method\": "
        + "\"compressed-tensors\"}}", ChatFormat.Instruct)]
    [InlineData("{\"_name_or_path\": \"moonshotai/Kimi-K2-Thinking\", \"quantization_config\": {\"quant_method\": "
        + "\"fp8\"}}", ChatFormat.Thinking)]
    [InlineData("{\"quantization_config\": {\"quant_method\": \"fp8\"}}", ChatFormat.Instruct)]
    [InlineData("{\"quantization_config\": {\"quant_method\": \"compressed-tensors\"}}", ChatFormat.Thinking)]
    [InlineData("{\"model_type\": \"kimi_k2\"}", ChatFormat.Thinking)]
    public void ConfigHints_WhenNoTemplate(string config, ChatFormat expected)
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("config.json"), config);
        File.WriteAllText(dir.File("tokenizer_config.json"), "{\"bos_token\": \"[BOS]\"}");
        Assert.Equal(expected, ChatTemplate.DetectFormat(dir.Path, out string reason));
        Assert.NotEmpty(reason);
    }

    [Fact]
    public void EmptyDirectory_IsThinking()
    {
        using var dir = new TempDirectory();
        Assert.Equal(ChatFormat.Thinking, ChatTemplate.DetectFormat(dir.Path, out string reason));
        Assert.Contains("by default", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void BundledCheckpoint_IsThinking() =>
        Assert.Same(
            ChatTemplate.Thinking,
            ChatTemplate.ForCheckpoint(Path.Combine(SharedFixtures.RepositoryRoot, "models", "tiny-random")));

    [Fact]
    public void ForeignTemplate_IsRefusedWithTheFileName()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(
            dir.File("chat_template.jinja"), "{% for m in messages %}<|im_start|>{{ m.role }}{% endfor %}");
        var e = Assert.Throws<ChatFormatException>(() => ChatTemplate.ForCheckpoint(dir.Path));
        Assert.Contains("chat_template.jinja", e.Message, StringComparison.Ordinal);
        Assert.Contains("not a Kimi K2 format", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BadTokenizerConfig_NamesTheFile()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("tokenizer_config.json"), "{\"chat_template\": 5}");
        var e = Assert.Throws<ChatFormatException>(() => ChatTemplate.ForCheckpoint(dir.Path));
        Assert.Equal(dir.File("tokenizer_config.json"), e.File);
        Assert.Equal("chat_template", e.JsonPath);
    }

    [Theory]
    [InlineData("tokenizer_config.json", "[1]", "")]
    [InlineData("tokenizer_config.json", "{\"chat_template\": [[1], 2]}", "chat_template")]
    [InlineData("tokenizer_config.json", "{\"chat_template\": [{\"name\": \"default\"}]}", "chat_template")]
    [InlineData("config.json", "[]", "")]
    [InlineData("config.json", "{\"quantization_config\": [", "")]
    public void OddJsonFiles_AreClearErrors(string file, string text, string path)
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File(file), text);
        var e = Assert.Throws<ChatFormatException>(() => ChatTemplate.ForCheckpoint(dir.Path));
        Assert.Equal((dir.File(file), path), (e.File, e.JsonPath));
    }

    [Fact]
    public void OddButHarmlessConfig_FallsBackToThinking()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("config.json"), "{\"_name_or_path\": 3, \"quantization_config\": [1]}");
        Assert.Equal(ChatFormat.Thinking, ChatTemplate.DetectFormat(dir.Path, out _));
    }

    [Fact]
    public void MissingDirectory_Throws() =>
        Assert.Throws<DirectoryNotFoundException>(
            () => ChatTemplate.ForCheckpoint(
                Path.Combine(Path.GetTempPath(), "k2native-no-such-dir-" + Guid.NewGuid())));
}

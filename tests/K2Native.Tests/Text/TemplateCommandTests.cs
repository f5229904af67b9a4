// `k2 template`: the exact bytes on stdout (UTF-8, no BOM, no trailing newline), the format choice, and errors.
using System.Text;
using K2Bench.Verbs;
using K2Native.Tests.Support;
using K2Native.Text;

namespace K2Native.Tests.Text;

public sealed class TemplateCommandTests
{
    private const string Json = "{\"messages\": [{\"role\": \"user\", \"content\": \"héllo 😀\"}, {\"role\": "
        + "\"assistant\", \"content\": \"hi\", \"reasoning_content\": \"r\"}], \"add_generation_prompt\": false}";

    [Theory]
    [InlineData(null)]
    [InlineData(ChatFormat.Thinking)]
    [InlineData(ChatFormat.Instruct)]
    public void WritesThePromptBytesExactly(ChatFormat? format)
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("conv.json"), Json);
        var output = new MemoryStream();
        Assert.Equal(0, new TemplateCommand { File = dir.File("conv.json"), Format = format }.Run(output));
        string expected = ChatTemplate.For(format ?? ChatFormat.Thinking).Render(Conversation.Parse(Json));
        Assert.Equal(Encoding.UTF8.GetBytes(expected), output.ToArray());
        Assert.EndsWith("<|im_end|>", expected, StringComparison.Ordinal);
    }

    [Fact]
    public void ModelDirectory_ChoosesTheFormat()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("conv.json"), Json);
        File.WriteAllText(dir.File("chat_template.jinja"), "<|im_assistant|>assistant<|im_middle|>");
        var output = new MemoryStream();
        new TemplateCommand { File = dir.File("conv.json"), Model = dir.Path }.Run(output);
        Assert.Equal(ChatTemplate.Instruct.Render(Conversation.Parse(Json)), Encoding.UTF8.GetString(output.ToArray()));
    }

    [Fact]
    public void BadConversation_IsAFormatExceptionNamingFileAndPath()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("conv.json"), "{\"messages\": [{\"role\": \"user\", \"content\": 3}]}");
        var e = Assert.Throws<ChatFormatException>(
            () => new TemplateCommand { File = dir.File("conv.json"), Format = ChatFormat.Thinking }.Run(
                new MemoryStream()));
        Assert.IsAssignableFrom<FormatException>(e);
        Assert.StartsWith(dir.File("conv.json") + ": messages[0].content:", e.Message, StringComparison.Ordinal);
    }
}

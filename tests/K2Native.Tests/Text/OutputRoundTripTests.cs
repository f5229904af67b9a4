// Text-level round trip: render an assistant message with the template, take what follows the generation prompt
// (up to the <|im_end|> the model stops at), parse it as model output, and get the same message back.
using K2Native.Text;
using static K2Native.Tests.Text.OutputStream;

namespace K2Native.Tests.Text;

public sealed class OutputRoundTripTests
{
    private static readonly ChatMessage[] Question = [
        ChatMessage.System("Use the tools."), ChatMessage.User("北京和东京哪个更暖和？")];

    public static TheoryData<ChatFormat, ChatMessage> Answers => new()
    {
        { ChatFormat.Thinking, ChatMessage.Assistant("我来查一下。", "需要两个城市的天气 <b>.", [
            ToolCall.Create("functions.get_weather:0", "get_weather", "{\"city\": \"北京\", \"unit\": \"c\"}"),
            ToolCall.Create(
                "functions.get_weather:1", "get_weather",
                "{\"city\": \"東京\", \"emoji\": \"😀\", \"esc\": \"\\u00e9\\n\"}")]) },
        {
            ChatFormat.Thinking,
            ChatMessage.Assistant(
                "", "just call", [ToolCall.Create("functions.calc:7", "calc", " {\"expression\": \"17-12\"} ")])
        },
        {
            ChatFormat.Thinking,
            ChatMessage.Assistant("content only, then a call", null, [ToolCall.Create("functions.x.y:3", "x.y", "[]")])
        },
        {
            ChatFormat.Instruct,
            ChatMessage.Assistant(
                "Checking.", null, [ToolCall.Create("functions.get_weather:0", "get_weather", "{\"city\": \"Paris\"}")])
        },
        { ChatFormat.Instruct, ChatMessage.Assistant("A plain answer with <html> & </think> text.") },
    };

    [Theory]
    [MemberData(nameof(Answers))]
    public void RenderThenParse_GivesTheMessageBack(ChatFormat format, ChatMessage answer)
    {
        string generated = Generated(ChatTemplate.For(format), answer);
        Assert.Equal(answer, Fold(Parse(format, generated)).ToMessage());

        var random = new Random(generated.Length);
        var cuts = Enumerable.Range(0, 20).Select(_ => random.Next(generated.Length + 1)).ToArray();
        var folded = Fold(Parse(format, Cut(generated, cuts)));
        Assert.Equal(answer, folded.ToMessage());
        Assert.Empty(folded.Problems);
    }

    [Fact]
    public void JsonObjectArguments_ComeBackAsTheirPythonJsonText()
    {
        var args = ToolCallArguments.FromJson(System.Text.Json.Nodes.JsonNode.Parse("{\"n\": 1.50, \"s\": \"é\"}"));
        var answer = ChatMessage.Assistant("", "r", [new ToolCall("functions.f:0", new FunctionCall("f", args))]);
        var parsed = Fold(Parse(ChatFormat.Thinking, Generated(ChatTemplate.Thinking, answer))).ToMessage();
        Assert.Equal("{\"n\": 1.5, \"s\": \"é\"}", parsed.ToolCalls![0].Function.Arguments.Text);
    }

    [Fact]
    public void FinishedAnswer_TheTemplateDropsItsReasoning()
    {
        var answer = ChatMessage.Assistant("Paris.", "I know this.");
        string generated = Generated(ChatTemplate.Thinking, answer);
        Assert.Equal("<think></think>Paris.", generated);
        Assert.Equal(ChatMessage.Assistant("Paris."), Fold(Parse(ChatFormat.Thinking, generated)).ToMessage());
    }

    internal static string Generated(ChatTemplate template, ChatMessage answer)
    {
        string prompt = template.Render(Question, null, addGenerationPrompt: true);
        string full = template.Render([.. Question, answer], null, addGenerationPrompt: false);
        Assert.StartsWith(prompt, full, StringComparison.Ordinal);
        Assert.EndsWith("<|im_end|>", full, StringComparison.Ordinal);
        return full[prompt.Length..^"<|im_end|>".Length];
    }
}

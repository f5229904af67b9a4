// Conversation JSON: every bad field is named by its JSON path, and save-then-load gives back an equal conversation.
using System.Text.Json.Nodes;
using K2Native.Tests.Support;
using K2Native.Text;

namespace K2Native.Tests.Text;

public sealed class ConversationJsonTests
{
    [Theory]
    [InlineData("[]", "", "expected an object with \"messages\", found an array")]
    [InlineData("{}", "messages", "missing")]
    [InlineData("{\"messages\": {}}", "messages", "expected an array of messages, found an object")]
    [InlineData("{\"messages\": [], \"tools\": {}}", "tools", "expected an array of tools, found an object")]
    [InlineData("{\"messages\": [], \"add_generation_prompt\": 1}", "add_generation_prompt",
        "expected true or false, found a number")]
    [InlineData("{\"messages\": [\"hi\"]}", "messages[0]", "expected a message object, found a string")]
    [InlineData("{\"messages\": [{\"content\": \"hi\"}]}", "messages[0].role", "missing")]
    [InlineData("{\"messages\": [{\"role\": 1}]}", "messages[0].role", "expected a string, found a number")]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": 5}]}", "messages[0].content",
        "expected a string, an array of content parts or null, found a number")]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": {\"text\": \"x\"}}]}", "messages[0].content",
        "expected a string, an array of content parts or null, found an object")]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": [\"x\"]}]}", "messages[0].content[0]",
        "expected a content part object, found a string")]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"text\", \"text\": [1]}]}]}",
        "messages[0].content[0].text", "expected a string, found an array")]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"name\": false}]}", "messages[0].name",
        "expected a string, found a boolean")]
    [InlineData("{\"messages\": [{\"role\": \"assistant\", \"reasoning_content\": []}]}",
        "messages[0].reasoning_content", "expected a string, found an array")]
    [InlineData("{\"messages\": [{\"role\": \"tool\", \"tool_call_id\": 3}]}", "messages[0].tool_call_id",
        "expected a string, found a number")]
    [InlineData("{\"messages\": [{\"role\": \"assistant\", \"tool_calls\": {}}]}", "messages[0].tool_calls",
        "expected an array of tool calls, found an object")]
    [InlineData("{\"messages\": [{\"role\": \"assistant\", \"tool_calls\": [1]}]}", "messages[0].tool_calls[0]",
        "expected a tool call object, found a number")]
    [InlineData("{\"messages\": [{\"role\": \"assistant\", \"tool_calls\": [{\"function\": {\"name\": \"f\", "
        + "\"arguments\": \"{}\"}}]}]}", "messages[0].tool_calls[0].id", "missing")]
    [InlineData("{\"messages\": [{\"role\": \"assistant\", \"tool_calls\": [{\"id\": \"functions.f:0\"}]}]}",
        "messages[0].tool_calls[0].function", "missing")]
    [InlineData("{\"messages\": [{\"role\": \"assistant\", \"tool_calls\": [{\"id\": \"functions.f:0\", \"function\": "
        + "\"f\"}]}]}", "messages[0].tool_calls[0].function", "expected an object, found a string")]
    [InlineData("{\"messages\": [{\"role\": \"user\"}, {\"role\": \"user\"}, {\"role\": \"user\"}, {\"role\": "
        + "\"assistant\", \"tool_calls\": [{\"id\": \"functions.f:0\", \"function\": {\"arguments\": \"{}\"}}]}]}",
        "messages[3].tool_calls[0].function.name",
        "missing")]
    [InlineData("{\"messages\": [{\"role\": \"assistant\", \"tool_calls\": [{\"id\": \"functions.f:0\", \"function\": "
        + "{\"name\": \"f\"}}]}]}", "messages[0].tool_calls[0].function.arguments", "missing")]
    [InlineData("{\"messages\": [{\"role\": \"assistant\", \"tool_calls\": [{\"id\": \"functions.f:0\", \"type\": 7, "
        + "\"function\": {\"name\": \"f\", \"arguments\": {}}}]}]}",
        "messages[0].tool_calls[0].type",
        "expected a string, found a number")]
    public void Parse_BadField_NamesItsPath(string json, string path, string problem)
    {
        var e = Assert.Throws<ChatFormatException>(() => Conversation.Parse(json));
        Assert.Equal(path, e.JsonPath);
        Assert.Equal(problem, e.Problem);
        Assert.Equal(path.Length == 0 ? problem : $"{path}: {problem}", e.Message);
    }

    [Fact]
    public void Load_BadFile_NamesFileAndPath()
    {
        using var dir = new TempDirectory();
        string file = dir.File("conv.json");
        File.WriteAllText(file, "{\"messages\": [{\"role\": \"user\", \"content\": 1}]}");
        var e = Assert.Throws<ChatFormatException>(() => Conversation.Load(file));
        Assert.Equal(
            $"{file}: messages[0].content: expected a string, an array of content parts or null, found a number",
            e.Message);
        File.WriteAllText(file, "{\"messages\": [");
        Assert.StartsWith(
            $"{file}: invalid JSON", Assert.Throws<ChatFormatException>(() => Conversation.Load(file)).Message,
            StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_Defaults()
    {
        var c = Conversation.Parse(
            "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"model\": \"ignored\"}");
        Assert.True(c.AddGenerationPrompt);
        Assert.Null(c.Tools);
        Assert.Equal(ChatMessage.User("hi"), Assert.Single(c.Messages));
    }

    [Fact]
    public void Parse_RemembersExplicitNulls()
    {
        var m = Conversation.Parse(
            "{\"messages\": [{\"role\": \"assistant\", \"content\": null, \"name\": null, \"reasoning_content\": null, "
            + "\"tool_calls\": null, \"tool_call_id\": null}]}").Messages[0];
        Assert.Equal(
            ChatMessageFields.Content
            | ChatMessageFields.Name
            | ChatMessageFields.ReasoningContent
            | ChatMessageFields.ToolCalls
            | ChatMessageFields.ToolCallId,
            m.ExplicitNulls);
        Assert.Null(m.Content);
        Assert.Null(m.ToolCalls);
    }

    [Fact]
    public void Parse_KeepsArgumentsAsGiven()
    {
        var calls = Conversation.Parse("""
            {"messages": [{"role": "assistant", "tool_calls": [
              {"id": "functions.a:0", "type": "function", "function": {"name": "a", "arguments": "{\"x\": 1.50}"}},
              {"id": "functions.b:1", "function": {"name": "b", "arguments": {"x": 1.50}}},
              {"id": "functions.c:2", "function": {"name": "c", "arguments": null}}]}]}
            """).Messages[0].ToolCalls!;
        Assert.Equal("{\"x\": 1.50}", calls[0].Function.Arguments.Text);
        Assert.Equal("function", calls[0].Type);
        Assert.False(calls[1].Function.Arguments.IsText);
        Assert.Null(calls[1].Type);
        Assert.Equal("{\"x\": 1.5}", calls[1].Function.Arguments.ToPromptText());
        Assert.Equal("null", calls[2].Function.Arguments.ToPromptText());
    }

    private const string Rich =
        """
        {"messages": [
          {"role": "system", "name": "sys", "content": "be brief"},
          {"role": "user", "content": [{"type": "text", "text": "look"}, {"type": "image_url", "image_url": {"url": "data:x", "detail": "low"}}, {"type": "text", "text": 1.50}]},
          {"role": "assistant", "content": null, "reasoning_content": null, "tool_calls": [
            {"id": "functions.f:0", "type": "function", "function": {"name": "f", "arguments": "{\"q\": \"北京\"}"}},
            {"id": "functions.g:1", "function": {"name": "g", "arguments": {"n": 1e2, "big": 123456789012345678901234567890, "s": "\ud800 \u0001"}}}]},
          {"role": "tool", "tool_call_id": null, "content": "r", "name": null},
          {"role": "assistant", "content": "", "tool_calls": []},
          {"role": "developer", "content": "x"}],
         "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": {"q": {"type": "string", "default": 0.10}}}}}]}
        """;

    public static TheoryData<string> RoundTripCases => new()
    {
        """{"messages": []}""",
        """{"messages": [{"role": "user", "content": "hi"}], "add_generation_prompt": false}""",
        Rich,
    };

    [Theory]
    [MemberData(nameof(RoundTripCases))]
    public void SaveAndLoad_GivesAnEqualConversation(string json)
    {
        var first = Conversation.Parse(json);
        string saved = first.ToJson();
        var second = Conversation.Parse(saved);
        Assert.Equal(first, second);
        Assert.Equal(saved, second.ToJson());
        Assert.Equal(ChatTemplate.Thinking.Render(first), ChatTemplate.Thinking.Render(second));
    }

    [Fact]
    public void SaveAndLoad_ThroughAFile()
    {
        using var dir = new TempDirectory();
        string file = dir.File("conv.json");
        var c = new Conversation
        {
            Messages = [
                ChatMessage.User("héllo \ud83d\ude00"),
                ChatMessage.Assistant("hi", "thought", [ToolCall.Create("functions.f:0", "f", "{}")]),
                ChatMessage.Tool("functions.f:0", "ok")],
            Tools = JsonNode.Parse("[{\"type\": \"function\", \"function\": {\"name\": \"f\"}}]"),
            AddGenerationPrompt = false,
        };
        c.Save(file);
        Assert.Equal(c, Conversation.Load(file));
        Assert.False(File.ReadAllBytes(file).AsSpan().StartsWith((byte[])[0xEF, 0xBB, 0xBF]));
    }

    [Fact]
    public void ToJson_IsPythonStyleIndentedInAFixedKeyOrder()
    {
        var c = new Conversation { Messages = [ChatMessage.Tool("functions.f:0", "r", name: "f")] };
        Assert.Equal(
            "{\n  \"messages\": [\n    {\n      \"role\": \"tool\",\n      \"name\": \"f\",\n      \"content\": "
            + "\"r\",\n      \"tool_call_id\": \"functions.f:0\"\n    }\n  ],\n  \"add_generation_prompt\": true\n}",
            c.ToJson());
    }

    [Fact]
    public void MutatedJson_ParsesOrThrowsChatFormatExceptionOnly()
    {
        byte[] valid = System.Text.Encoding.UTF8.GetBytes(Conversation.Parse(Rich).ToJson());
        var random = new Random(5);
        byte[] alphabet = "{}[]\":,0 1-.eEnulltruefalse\\\u00e9"u8.ToArray();
        for (int round = 0; round < 3000; round++)
        {
            byte[] bytes = (byte[])valid.Clone();
            int edits = random.Next(1, 4);
            for (int k = 0; k < edits; k++)
                bytes[random.Next(bytes.Length)] = random.Next(4) == 0
                    ? (byte)random.Next(256)
                    : alphabet[random.Next(alphabet.Length)];
            int length = random.Next(8) == 0 ? random.Next(bytes.Length) : bytes.Length;
            try
            {
                var c = Conversation.Parse(bytes.AsSpan(0, length));
                ChatTemplate.Thinking.Render(c);
                Assert.Equal(c, Conversation.Parse(c.ToJson()));
            }
            catch (ChatFormatException)
            {
            }
        }
    }

    [Fact]
    public void Equality_LooksInsideListsAndJson()
    {
        var a = Conversation.Parse("""{"messages": [{"role": "assistant", "tool_calls": [{"id": "functions.f:0", "function": {"name": "f", "arguments": {"x": [1]}}}]}]}""");
        var b = Conversation.Parse("""{"messages": [{"role": "assistant", "tool_calls": [{"id": "functions.f:0", "function": {"name": "f", "arguments": {"x": [1]}}}]}]}""");
        var c = Conversation.Parse("""{"messages": [{"role": "assistant", "tool_calls": [{"id": "functions.f:0", "function": {"name": "f", "arguments": {"x": [2]}}}]}]}""");
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }
}

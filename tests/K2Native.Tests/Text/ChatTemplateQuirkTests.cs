// The K2 Thinking template's quirks, each against the rendering CPython's Jinja2 made of the official template
// (trim_blocks, lstrip_blocks, transformers' tojson), committed here; and the K2 Instruct variant.
using System.Text.Json.Nodes;
using K2Native.Text;

namespace K2Native.Tests.Text;

public sealed class ChatTemplateQuirkTests
{
    /// <summary>(what the case shows, conversation JSON, the official template's rendering).</summary>
    public static TheoryData<string, string, string> ThinkingCases => new()
    {
        {
            "image parts end with a newline; text parts joined; odd part texts printed as Python str()",
            "{\"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"text\", \"text\": \"a\"}, {\"type\": "
            + "\"image_url\", \"image_url\": {\"url\": \"http://x/y.png\"}}, {\"type\": \"text\", \"text\": \"b\"}, "
            + "{\"image\": \"y\"}, {\"type\": \"image\"}, {\"type\": \"text\"}, {\"type\": \"image_url\"}, "
            + "{\"type\": \"text\", \"text\": null}, {\"type\": \"text\", \"text\": 5}, {\"type\": \"text\", "
            + "\"text\": 1.5}, {\"type\": \"text\", \"text\": true}]}]}",
            "<|im_system|>system<|im_middle|>You are Kimi, an AI assistant created by Moonshot AI.<|im_end|>"
                + "<|im_user|>user<|im_middle|>a<|media_start|>image<|media_content|><|media_pad|><|media_end|>\nb"
                + "<|media_start|>image<|media_content|><|media_pad|><|media_end|>\n<|media_start|>image"
                + "<|media_content|><|media_pad|><|media_end|>\nNone51.5True<|im_end|><|im_assistant|>assistant"
                + "<|im_middle|>"
        },
        {
            "tool results: name replaces the role, missing id prints nothing, null id prints None, null content prints "
            + "nothing",
            "{\"messages\": [{\"role\": \"user\", \"content\": \"q\"}, {\"role\": \"tool\", \"tool_call_id\": "
            + "\"functions.f:0\", \"name\": \"f\", \"content\": \"r0\"}, {\"role\": \"tool\", \"content\": \"r1\"}, "
            + "{\"role\": \"tool\", \"tool_call_id\": null, \"content\": null}, {\"role\": \"tool\", "
            + "\"tool_call_id\": \"functions.g:2\", \"content\": [{\"type\": \"text\", \"text\": \"p1\"}, {\"type\": "
            + "\"text\", \"text\": \"p2\"}]}]}",
            "<|im_system|>system<|im_middle|>You are Kimi, an AI assistant created by Moonshot "
            + "AI.<|im_end|><|im_user|>user<|im_middle|>q<|im_end|><|im_system|>f<|im_middle|>## Return of "
            + "functions.f:0\nr0<|im_end|><|im_system|>tool<|im_middle|>## Return of "
            + "\nr1<|im_end|><|im_system|>tool<|im_middle|>## Return of "
            + "None\n<|im_end|><|im_system|>tool<|im_middle|>## Return of "
            + "functions.g:2\np1p2<|im_end|><|im_assistant|>assistant<|im_middle|>"
        },
        {
            "reasoning kept after the last answer: null prints None, missing prints nothing",
            "{\"messages\": [{\"role\": \"user\", \"content\": \"q\"}, {\"role\": \"assistant\", \"content\": null, "
            + "\"reasoning_content\": null, \"tool_calls\": [{\"id\": \"functions.f:0\", \"type\": \"function\", "
            + "\"function\": {\"name\": \"f\", \"arguments\": \"{}\"}}]}, {\"role\": \"tool\", \"tool_call_id\": "
            + "\"functions.f:0\", \"content\": \"1\"}, {\"role\": \"assistant\", \"content\": \"\", \"tool_calls\": "
            + "[{\"id\": \"functions.f:1\", \"type\": \"function\", \"function\": {\"name\": \"f\", \"arguments\": "
            + "\"{}\"}}]}]}",
            "<|im_system|>system<|im_middle|>You are Kimi, an AI assistant created by Moonshot AI.<|im_end|>"
                + "<|im_user|>user<|im_middle|>q<|im_end|><|im_assistant|>assistant<|im_middle|><think>None</think>"
                + "<|tool_calls_section_begin|><|tool_call_begin|>functions.f:0<|tool_call_argument_begin|>{}"
                + "<|tool_call_end|><|tool_calls_section_end|><|im_end|><|im_system|>tool"
                + "<|im_middle|>## Return of functions.f:0\n1<|im_end|><|im_assistant|>assistant<|im_middle|><think>"
                + "</think><|tool_calls_section_begin|><|tool_call_begin|>functions.f:1<|tool_call_argument_begin|>{}"
                + "<|tool_call_end|><|tool_calls_section_end|><|im_end|><|im_assistant|>assistant<|im_middle|>"
        },
        {
            "an empty tool_calls list makes a finished answer and drops the reasoning before it",
            "{\"messages\": [{\"role\": \"user\", \"content\": \"q\"}, {\"role\": \"assistant\", \"content\": \"a\", "
            + "\"reasoning_content\": \"r1\", \"tool_calls\": [{\"id\": \"functions.f:0\", \"function\": {\"name\": "
            + "\"f\", \"arguments\": \"{}\"}}]}, {\"role\": \"tool\", \"tool_call_id\": \"functions.f:0\", "
            + "\"content\": \"1\"}, {\"role\": \"assistant\", \"content\": \"b\", \"reasoning_content\": \"r2\", "
            + "\"tool_calls\": []}, {\"role\": \"user\", \"content\": \"again\"}, {\"role\": \"assistant\", "
            + "\"content\": \"c\", \"reasoning_content\": \"r3\", \"tool_calls\": [{\"id\": \"functions.f:1\", "
            + "\"function\": {\"name\": \"f\", \"arguments\": \"{}\"}}]}]}",
            "<|im_system|>system<|im_middle|>You are Kimi, an AI assistant created by Moonshot AI.<|im_end|>"
                + "<|im_user|>user<|im_middle|>q<|im_end|><|im_assistant|>assistant<|im_middle|><think></think>a"
                + "<|tool_calls_section_begin|><|tool_call_begin|>functions.f:0<|tool_call_argument_begin|>{}"
                + "<|tool_call_end|><|tool_calls_section_end|><|im_end|><|im_system|>tool"
                + "<|im_middle|>## Return of functions.f:0\n1<|im_end|><|im_assistant|>assistant<|im_middle|><think>"
                + "</think>b<|im_end|><|im_user|>user<|im_middle|>again<|im_end|><|im_assistant|>assistant<|im_middle|>"
                + "<think>r3</think>c<|tool_calls_section_begin|><|tool_call_begin|>functions.f:1"
                + "<|tool_call_argument_begin|>{}<|tool_call_end|><|tool_calls_section_end|><|im_end|>"
                + "<|im_assistant|>assistant<|im_middle|>"
        },
        {
            "names and roles: empty name shows the role, other roles are system turns, only the first message counts "
            + "as the system prompt",
            "{\"messages\": [{\"role\": \"user\", \"name\": \"\", \"content\": \"hi\"}, {\"role\": \"developer\", "
            + "\"name\": \"bob\", \"content\": \"d\"}, {\"role\": \"system\", \"content\": \"late system\"}, "
            + "{\"role\": \"assistant\", \"name\": \"kimi\", \"content\": \"x\"}, {\"role\": \"function\", "
            + "\"content\": \"f\"}], \"add_generation_prompt\": false}",
            "<|im_system|>system<|im_middle|>You are Kimi, an AI assistant created by Moonshot AI.<|im_end|>"
                + "<|im_user|>user<|im_middle|>hi<|im_end|><|im_system|>bob<|im_middle|>d<|im_end|><|im_system|>system"
                + "<|im_middle|>late system<|im_end|><|im_assistant|>kimi<|im_middle|><think></think>x<|im_end|>"
                + "<|im_system|>function<|im_middle|>f<|im_end|>"
        },
        {
            "a named system message replaces the default",
            "{\"messages\": [{\"role\": \"system\", \"name\": \"rules\", \"content\": \"Be brief.\"}, {\"role\": "
            + "\"user\", \"content\": null}]}",
            "<|im_system|>rules<|im_middle|>Be "
            + "brief.<|im_end|><|im_user|>user<|im_middle|><|im_end|><|im_assistant|>assistant<|im_middle|>"
        },
        {
            "string arguments verbatim, JSON arguments through json.dumps with Python's number rules",
            "{\"messages\": [{\"role\": \"user\", \"content\": \"q\"}, {\"role\": \"assistant\", \"content\": "
            + "\"calling\", \"reasoning_content\": \"r\", \"tool_calls\": [{\"id\": \"functions.raw:0\", \"type\": "
            + "\"function\", \"function\": {\"name\": \"raw\", \"arguments\": \"not json {\\\"a\\\":1}\"}}, {\"id\": "
            + "\"functions.obj:1\", \"type\": \"function\", \"function\": {\"name\": \"obj\", \"arguments\": {\"b\": "
            + "[1, 2.0, 1.50, 1e2, -0, 12345678901234567890], \"a\": null, \"s\": \"北京\\n\\\"q\\\"/<>\", \"t\": "
            + "true, \"e\": {}, \"a\": \"dup\"}}}, {\"id\": \"functions.nul:2\", \"type\": \"function\", "
            + "\"function\": {\"name\": \"nul\", \"arguments\": null}}, {\"id\": \"functions.arr:3\", \"type\": "
            + "\"function\", \"function\": {\"name\": \"arr\", \"arguments\": [1, \"x\"]}}]}]}",
            "<|im_system|>system<|im_middle|>You are Kimi, an AI assistant created by Moonshot AI.<|im_end|>"
                + "<|im_user|>user<|im_middle|>q<|im_end|><|im_assistant|>assistant<|im_middle|><think>r</think>calling"
                + "<|tool_calls_section_begin|><|tool_call_begin|>functions.raw:0<|tool_call_argument_begin|>not json "
                + "{\"a\":1}<|tool_call_end|><|tool_call_begin|>functions.obj:1<|tool_call_argument_begin|>{\"b\": [1, "
                + "2.0, 1.5, 100.0, 0, 12345678901234567890], \"a\": \"dup\", \"s\": \"北京\\n\\\"q\\\"/<>\", \"t\": "
                + "true, \"e\": {}}<|tool_call_end|><|tool_call_begin|>functions.nul:2<|tool_call_argument_begin|>null"
                + "<|tool_call_end|><|tool_call_begin|>functions.arr:3<|tool_call_argument_begin|>[1, \"x\"]"
                + "<|tool_call_end|><|tool_calls_section_end|><|im_end|><|im_assistant|>assistant<|im_middle|>"
        },
        {
            "no messages at all",
            "{\"messages\": []}",
            "<|im_system|>system<|im_middle|>You are Kimi, an AI assistant created by Moonshot "
            + "AI.<|im_end|><|im_assistant|>assistant<|im_middle|>"
        },
        {
            "no messages, no generation prompt",
            "{\"messages\": [], \"add_generation_prompt\": false}",
            "<|im_system|>system<|im_middle|>You are Kimi, an AI assistant created by Moonshot AI.<|im_end|>"
        },
        {
            "an empty tools list declares nothing",
            "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"tools\": []}",
            "<|im_system|>system<|im_middle|>You are Kimi, an AI assistant created by Moonshot "
            + "AI.<|im_end|><|im_user|>user<|im_middle|>hi<|im_end|><|im_assistant|>assistant<|im_middle|>"
        },
        {
            "tools with non-ASCII, escapes and numbers",
            "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"tools\": [{\"type\": \"function\", "
            + "\"function\": {\"name\": \"météo\", \"description\": \"Température à \\\"Paris\\\"\\n天气\", "
            + "\"parameters\": {\"type\": \"object\", \"properties\": {\"n\": {\"type\": \"number\", \"minimum\": "
            + "0.0, \"maximum\": 1e+16, \"default\": 1.50}}}}}]}",
            "<|im_system|>tool_declare<|im_middle|>[{\"type\": \"function\", \"function\": {\"name\": \"météo\", "
            + "\"description\": \"Température à \\\"Paris\\\"\\n天气\", \"parameters\": {\"type\": \"object\", "
            + "\"properties\": {\"n\": {\"type\": \"number\", \"minimum\": 0.0, \"maximum\": 1e+16, \"default\": "
            + "1.5}}}}}]<|im_end|><|im_system|>system<|im_middle|>You are Kimi, an AI assistant created by Moonshot "
            + "AI.<|im_end|><|im_user|>user<|im_middle|>hi<|im_end|><|im_assistant|>assistant<|im_middle|>"
        },
    };

    [Theory]
    [MemberData(nameof(ThinkingCases))]
    public void Thinking_MatchesTheOfficialTemplate(string shows, string json, string expected)
    {
        Assert.False(string.IsNullOrEmpty(shows));
        Assert.Equal(expected, ChatTemplate.Thinking.Render(Conversation.Parse(json)));
    }

    [Theory]
    [MemberData(nameof(ThinkingCases))]
    public void Thinking_SameAfterSaveAndReload(string shows, string json, string expected)
    {
        Assert.False(string.IsNullOrEmpty(shows));
        var reloaded = Conversation.Parse(Conversation.Parse(json).ToJson());
        Assert.Equal(expected, ChatTemplate.Thinking.Render(reloaded));
    }

    [Fact]
    public void Instruct_HasNoThinkTagsAndItsOwnDefaultSystemPrompt()
    {
        var messages = new[]
        {
            ChatMessage.User("Hi"),
            ChatMessage.Assistant("Hello", reasoningContent: "greeting"),
            ChatMessage.User("2+2?"),
        };
        Assert.Equal(
            "<|im_system|>system<|im_middle|>You are a helpful assistant<|im_end|>" +
            "<|im_user|>user<|im_middle|>Hi<|im_end|>" +
            "<|im_assistant|>assistant<|im_middle|>Hello<|im_end|>" +
            "<|im_user|>user<|im_middle|>2+2?<|im_end|>" +
            "<|im_assistant|>assistant<|im_middle|>",
            ChatTemplate.Instruct.Render(messages, null, addGenerationPrompt: true));
    }

    [Fact]
    public void Instruct_ToolLoop()
    {
        var tools = JsonNode.Parse(
            "[{\"type\": \"function\", \"function\": {\"name\": \"add\", \"parameters\": {\"type\": \"object\"}}}]");
        var messages = new[]
        {
            ChatMessage.System("Use tools."),
            ChatMessage.User("1+2"),
            ChatMessage.Assistant(
                "", reasoningContent: "ignored",
                toolCalls: [ToolCall.Create("functions.add:0", "add", "{\"a\": 1, \"b\": 2}")]),
            ChatMessage.Tool("functions.add:0", "3", name: "add"),
        };
        Assert.Equal(
            "<|im_system|>tool_declare<|im_middle|>[{\"type\": \"function\", \"function\": {\"name\": \"add\", "
            + "\"parameters\": {\"type\": \"object\"}}}]<|im_end|>" +
            "<|im_system|>system<|im_middle|>Use tools.<|im_end|>" +
            "<|im_user|>user<|im_middle|>1+2<|im_end|>" +
            "<|im_assistant|>assistant<|im_middle|><|tool_calls_section_begin|><|tool_call_begin|>functions.add:0" +
            "<|tool_call_argument_begin|>{\"a\": 1, \"b\": 2}<|tool_call_end|><|tool_calls_section_end|><|im_end|>" +
            "<|im_system|>add<|im_middle|>## Return of functions.add:0\n3<|im_end|>",
            ChatTemplate.Instruct.Render(messages, tools, addGenerationPrompt: false));
    }

    [Theory]
    [MemberData(nameof(ThinkingCases))]
    public void Instruct_IsThinkingWithoutReasoningTags(string shows, string json, string thinking)
    {
        Assert.False(string.IsNullOrEmpty(shows));
        string expected = System.Text.RegularExpressions.Regex.Replace(
            thinking, "<think>.*?</think>", "", System.Text.RegularExpressions.RegexOptions.Singleline)
            .Replace(
                ChatTemplate.Thinking.DefaultSystemPrompt, ChatTemplate.Instruct.DefaultSystemPrompt,
                StringComparison.Ordinal);
        Assert.Equal(expected, ChatTemplate.Instruct.Render(Conversation.Parse(json)));
    }

    [Fact]
    public void Render_TruthyToolsOnly()
    {
        var user = new[] { ChatMessage.User("x") };
        string none = ChatTemplate.Thinking.Render(user, null, false);
        Assert.Equal(none, ChatTemplate.Thinking.Render(user, new JsonArray(), false));
        Assert.Equal(none, ChatTemplate.Thinking.Render(user, new JsonObject(), false));
        Assert.Equal(none, ChatTemplate.Thinking.Render(user, JsonValue.Create(0), false));
        Assert.StartsWith(
            "<|im_system|>tool_declare<|im_middle|>{\"a\": 1}<|im_end|>",
            ChatTemplate.Thinking.Render(user, new JsonObject { ["a"] = 1 }, false), StringComparison.Ordinal);
    }

    [Fact]
    public void Render_PartTextThatIsAnObject_NamesTheField()
    {
        var bad = new ChatMessage
        {
            Role = "user",
            Content = ChatContent.FromParts([new JsonObject { ["type"] = "text", ["text"] = new JsonObject() }])
        };
        var e = Assert.Throws<ChatFormatException>(
            () => ChatTemplate.Thinking.Render([ChatMessage.User("ok"), bad], null, true));
        Assert.Equal("messages[1].content[0].text", e.JsonPath);
    }

    [Fact]
    public void GenerationPrompt_IsTheAssistantHeader() =>
        Assert.Equal("<|im_assistant|>assistant<|im_middle|>", ChatTemplate.GenerationPrompt);
}

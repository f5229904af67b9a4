// K2's chat templates rendered natively (there is no Jinja engine here), byte for byte what transformers makes of
// the official Jinja (tests/K2Native.Tests/Text/ChatTemplate*Tests.cs hold the reference renderings):
//   [tools]              <|im_system|>tool_declare<|im_middle|>{json.dumps(tools)}<|im_end|>
//   [first not system]   <|im_system|>system<|im_middle|>{default system prompt}<|im_end|>
//   each message         {marker}{name or role}<|im_middle|>{body}<|im_end|>   marker: user, assistant, else system
//   assistant body       <think>{reasoning}</think>{content}{tool calls}    (K2 Thinking; Instruct has no <think>)
//   tool body            ## Return of {tool_call_id}\n{content}
//   generation prompt    <|im_assistant|>assistant<|im_middle|>
// K2 Thinking empties the reasoning of every message up to and including the last assistant message without tool
// calls; later ones (the tool loop in progress) keep theirs. Jinja prints missing values as "" and null ones as
// "None", and so does this renderer (reasoning_content: null in a kept turn gives <think>None</think>).
//
// K2 Instruct: what this relies on. The Kimi-K2-Instruct template first published (mirrored in llama.cpp as
// models/templates/moonshotai-Kimi-K2.jinja) uses the same role markers, the same tool_declare turn and the default
// system prompt "You are a helpful assistant", and has no reasoning tags; later revisions of the Instruct templates
// add what K2 Thinking's has (name-or-role headers, "## Return of {id}" tool turns, tool calls re-rendered in
// assistant turns). The Instruct format here is therefore K2 Thinking's blocks without <think>...</think>, with
// that default system prompt, as the K2Native spec asks; a checkpoint whose own template differs in detail should
// be rendered with its own Jinja.
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using static K2Native.Text.K2Markers;

namespace K2Native.Text;

/// <summary>Which of K2's chat formats a checkpoint speaks.</summary>
public enum ChatFormat
{
    /// <summary>K2 Thinking: assistant turns carry &lt;think&gt;reasoning&lt;/think&gt;.</summary>
    Thinking,

    /// <summary>K2 Instruct: no reasoning.</summary>
    Instruct,
}

/// <summary>Renders OpenAI-style conversations into K2's prompt text.</summary>
public sealed class ChatTemplate
{
    private ChatTemplate(ChatFormat format, string defaultSystemPrompt)
    {
        Format = format;
        DefaultSystemPrompt = defaultSystemPrompt;
    }

    public static ChatTemplate Thinking { get; } = new(
        ChatFormat.Thinking, "You are Kimi, an AI assistant created by Moonshot AI.");

    public static ChatTemplate Instruct { get; } = new(ChatFormat.Instruct, "You are a helpful assistant");

    public ChatFormat Format { get; }

    /// <summary>The system turn inserted when the conversation does not start with a system message.</summary>
    public string DefaultSystemPrompt { get; }

    /// <summary>What a prompt ends with when the model is to answer.</summary>
    public static string GenerationPrompt => ImAssistant + "assistant" + ImMiddle;

    public static ChatTemplate For(ChatFormat format) => format switch
    {
        ChatFormat.Thinking => Thinking,
        ChatFormat.Instruct => Instruct,
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "unknown chat format"),
    };

    /// <summary>The template a checkpoint directory asks for (see <see cref="DetectFormat"/>).</summary>
    public static ChatTemplate ForCheckpoint(string directory) => For(DetectFormat(directory, out _));

    /// <summary>
    /// The checkpoint's chat format: from its chat template (chat_template.jinja, chat_template.json or the
    /// chat_template field of tokenizer_config.json; one containing &lt;think&gt; is K2 Thinking's), else from
    /// config.json (a name with "thinking" or "instruct"; INT4 compressed-tensors weights are Thinking's, FP8
    /// Instruct's), else K2 Thinking. <paramref name="reason"/> says which of these decided.
    /// </summary>
    public static ChatFormat DetectFormat(string directory, out string reason) => ChatFormatDetector.Detect(
        directory, out reason);

    /// <summary>A parser for what a model speaking this format generates.</summary>
    public OutputParser CreateOutputParser() => new(Format);

    public string Render(Conversation conversation) =>
        Render(conversation.Messages, conversation.Tools, conversation.AddGenerationPrompt);

    /// <summary>The prompt text for these messages and tools (any JSON; rendered when Python would find it
    /// true).</summary>
    /// <exception cref="ChatFormatException">A content part's text is an object or an array.</exception>
    public string Render(IReadOnlyList<ChatMessage> messages, JsonNode? tools, bool addGenerationPrompt)
    {
        var sb = new StringBuilder();
        if (IsTruthy(tools))
        {
            sb.Append(ImSystem).Append("tool_declare").Append(ImMiddle);
            PythonJson.Write(sb, tools);
            sb.Append(ImEnd);
        }
        if (messages.Count == 0 || messages[0].Role != "system")
            sb.Append(ImSystem).Append("system").Append(ImMiddle).Append(DefaultSystemPrompt).Append(ImEnd);

        int lastAnswer = LastAnswer(messages);
        for (int i = 0; i < messages.Count; i++)
        {
            var m = messages[i];
            string marker = m.Role switch { "user" => ImUser, "assistant" => ImAssistant, _ => ImSystem };
            sb.Append(marker).Append(string.IsNullOrEmpty(m.Name) ? m.Role : m.Name).Append(ImMiddle);
            if (m.Role == "assistant")
            {
                if (Format == ChatFormat.Thinking)
                {
                    sb.Append(ThinkBegin);
                    if (i > lastAnswer)
                        sb.Append(m.ReasoningContent ?? NullOrMissing(m, ChatMessageFields.ReasoningContent));
                    sb.Append(ThinkEnd);
                }
                AppendContent(sb, m.Content, i);
                if (m.HasToolCalls) AppendToolCalls(sb, m.ToolCalls!);
            }
            else if (m.Role == "tool")
            {
                sb.Append("## Return of ")
                    .Append(m.ToolCallId ?? NullOrMissing(m, ChatMessageFields.ToolCallId))
                    .Append('\n');
                AppendContent(sb, m.Content, i);
            }
            else
            {
                AppendContent(sb, m.Content, i);
            }
            sb.Append(ImEnd);
        }
        if (addGenerationPrompt) sb.Append(GenerationPrompt);
        return sb.ToString();
    }

    /// <summary>Index of the last assistant message without tool calls (-1 when none): reasoning up to it is
    /// dropped.</summary>
    private static int LastAnswer(IReadOnlyList<ChatMessage> messages)
    {
        for (int i = messages.Count - 1; i >= 0; i--)
            if (messages[i].Role == "assistant" && !messages[i].HasToolCalls) return i;
        return -1;
    }

    // Jinja prints an undefined value as "" and Python's None as "None".
    private static string NullOrMissing(ChatMessage m, ChatMessageFields field) => m.IsExplicitNull(field)
        ? "None"
        : "";

    private static void AppendContent(StringBuilder sb, ChatContent? content, int message)
    {
        if (content is null) return;
        if (content.Text is not null) { sb.Append(content.Text); return; }
        for (int j = 0; j < content.Parts!.Count; j++)
        {
            var part = content.Parts[j];
            if (ChatContent.IsImagePart(part)) { sb.Append(ImagePlaceholder); continue; }
            if (!part.TryGetPropertyValue("text", out var text)) continue;
            try
            {
                sb.Append(PythonJson.Str(text));
            }
            catch (ArgumentException)
            {
                throw new ChatFormatException(
                    $"messages[{message}].content[{j}].text", $"expected a string, found {PythonJson.KindName(text)}");
            }
        }
    }

    private static void AppendToolCalls(StringBuilder sb, IReadOnlyList<ToolCall> calls)
    {
        sb.Append(SectionBegin);
        foreach (var call in calls)
            sb.Append(CallBegin)
                .Append(call.Id)
                .Append(ArgumentsBegin)
                .Append(call.Function.Arguments.ToPromptText())
                .Append(CallEnd);
        sb.Append(SectionEnd);
    }

    /// <summary>Python's truth value of a JSON value: empty containers and strings, zero, false and null are
    /// false.</summary>
    private static bool IsTruthy(JsonNode? value) => value switch
    {
        null => false,
        JsonArray a => a.Count > 0,
        JsonObject o => o.Count > 0,
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => PythonJson.Str(v).Length > 0,
            JsonValueKind.Number => PythonJson.Str(v) is not ("0" or "0.0" or "-0.0"),
            JsonValueKind.True => true,
            _ => false,
        },
        _ => false,
    };
}

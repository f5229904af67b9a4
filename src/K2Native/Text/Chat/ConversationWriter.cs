// Conversation back to JSON, the inverse of ConversationReader: keys in a fixed order (role, name, content,
// reasoning_content, tool_calls, tool_call_id), explicit nulls written back, parts, tools and JSON arguments as given.
using System.Text.Json.Nodes;

namespace K2Native.Text;

internal static class ConversationWriter
{
    public static JsonObject ToNode(Conversation conversation)
    {
        var obj = new JsonObject
        {
            ["messages"] = new JsonArray(conversation.Messages.Select(m => (JsonNode?)ToNode(m)).ToArray())
        };
        if (conversation.Tools is not null) obj["tools"] = conversation.Tools.DeepClone();
        obj["add_generation_prompt"] = conversation.AddGenerationPrompt;
        return obj;
    }

    public static JsonObject ToNode(ChatMessage m)
    {
        var obj = new JsonObject { ["role"] = m.Role };
        Put(obj, "name", m.Name is null ? null : JsonValue.Create(m.Name), m.IsExplicitNull(ChatMessageFields.Name));
        JsonNode? content = m.Content switch
        {
            null => null,
            { Text: { } text } => JsonValue.Create(text),
            { Parts: { } parts } => new JsonArray(parts.Select(p => p.DeepClone()).ToArray()),
            _ => null,
        };
        Put(obj, "content", content, m.IsExplicitNull(ChatMessageFields.Content));
        Put(
            obj, "reasoning_content", m.ReasoningContent is null ? null : JsonValue.Create(m.ReasoningContent),
            m.IsExplicitNull(ChatMessageFields.ReasoningContent));
        Put(
            obj, "tool_calls",
            m.ToolCalls is null ? null : new JsonArray(m.ToolCalls.Select(c => (JsonNode?)ToNode(c)).ToArray()),
            m.IsExplicitNull(ChatMessageFields.ToolCalls));
        Put(
            obj, "tool_call_id", m.ToolCallId is null ? null : JsonValue.Create(m.ToolCallId),
            m.IsExplicitNull(ChatMessageFields.ToolCallId));
        return obj;
    }

    private static JsonObject ToNode(ToolCall call)
    {
        var obj = new JsonObject { ["id"] = call.Id };
        if (call.Type is not null) obj["type"] = call.Type;
        var arguments = call.Function.Arguments;
        obj["function"] = new JsonObject
        {
            ["name"] = call.Function.Name,
            ["arguments"] = arguments.IsText ? JsonValue.Create(arguments.Text) : arguments.Json?.DeepClone(),
        };
        return obj;
    }

    private static void Put(JsonObject obj, string key, JsonNode? value, bool explicitNull)
    {
        if (value is not null || explicitNull) obj[key] = value;
    }
}

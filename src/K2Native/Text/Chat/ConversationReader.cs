// Turns parsed JSON into Conversation / ChatMessage, checking every field the K2 template reads and naming the
// JSON path of the first bad one (messages[3].tool_calls[0].function.name: missing). Rules follow the template:
// content is a string, a list of part objects, or null; a part's "text" may be any scalar (Jinja prints it with
// Python's str()), but not an object or array; tool-call arguments may be a string or any JSON value.
using System.Text.Json;
using System.Text.Json.Nodes;

namespace K2Native.Text;

internal static class ConversationReader
{
    public static Conversation Read(JsonNode? root)
    {
        if (root is not JsonObject obj)
            throw new ChatFormatException(
                "", $"expected an object with \"messages\", found {PythonJson.KindName(root)}");
        if (!obj.TryGetPropertyValue("messages", out var messagesNode) || messagesNode is null)
            throw new ChatFormatException("messages", "missing");
        if (messagesNode is not JsonArray messages) throw WrongKind("messages", "an array of messages", messagesNode);

        JsonNode? tools = obj["tools"];
        if (tools is not null and not JsonArray) throw WrongKind("tools", "an array of tools", tools);

        bool addGenerationPrompt = true;
        if (obj["add_generation_prompt"] is { } flag)
        {
            if (flag.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False))
                throw WrongKind("add_generation_prompt", "true or false", flag);
            addGenerationPrompt = flag.GetValue<bool>();
        }

        return new Conversation
        {
            Messages = messages.Select((m, i) => ReadMessage(m, $"messages[{i}]")).ToArray(),
            Tools = tools?.DeepClone(),
            AddGenerationPrompt = addGenerationPrompt,
        };
    }

    public static ChatMessage ReadMessage(JsonNode? node, string path)
    {
        if (node is not JsonObject m) throw WrongKind(path, "a message object", node);
        var nulls = ChatMessageFields.None;
        string role = OptionalString(m, "role", path, ChatMessageFields.None, ref nulls)
                      ?? throw new ChatFormatException(path + ".role", "missing");
        return new ChatMessage
        {
            Role = role,
            Content = ReadContent(m, path, ref nulls),
            Name = OptionalString(m, "name", path, ChatMessageFields.Name, ref nulls),
            ReasoningContent = OptionalString(
                m, "reasoning_content", path, ChatMessageFields.ReasoningContent, ref nulls),
            ToolCalls = ReadToolCalls(m, path, ref nulls),
            ToolCallId = OptionalString(m, "tool_call_id", path, ChatMessageFields.ToolCallId, ref nulls),
            ExplicitNulls = nulls,
        };
    }

    private static ChatContent? ReadContent(JsonObject m, string path, ref ChatMessageFields nulls)
    {
        if (!Present(m, "content", ChatMessageFields.Content, ref nulls, out var node)) return null;
        path += ".content";
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.String)
            return ChatContent.FromText(v.GetValue<string>());
        if (node is not JsonArray parts) throw WrongKind(path, "a string, an array of content parts or null", node);
        var list = new List<JsonObject>(parts.Count);
        for (int i = 0; i < parts.Count; i++)
        {
            string partPath = $"{path}[{i}]";
            if (parts[i] is not JsonObject part) throw WrongKind(partPath, "a content part object", parts[i]);
            if (!ChatContent.IsImagePart(part) && part["text"] is JsonObject or JsonArray)
                throw WrongKind(partPath + ".text", "a string", part["text"]);
            list.Add((JsonObject)part.DeepClone());
        }
        return ChatContent.FromParts(list);
    }

    private static IReadOnlyList<ToolCall>? ReadToolCalls(JsonObject m, string path, ref ChatMessageFields nulls)
    {
        if (!Present(m, "tool_calls", ChatMessageFields.ToolCalls, ref nulls, out var node)) return null;
        path += ".tool_calls";
        if (node is not JsonArray calls) throw WrongKind(path, "an array of tool calls", node);
        return calls.Select((c, i) => ReadToolCall(c, $"{path}[{i}]")).ToArray();
    }

    private static ToolCall ReadToolCall(JsonNode? node, string path)
    {
        if (node is not JsonObject call) throw WrongKind(path, "a tool call object", node);
        var ignored = ChatMessageFields.None;
        string id = OptionalString(call, "id", path, ChatMessageFields.None, ref ignored)
            ?? throw new ChatFormatException(path + ".id", "missing");
        string? type = OptionalString(call, "type", path, ChatMessageFields.None, ref ignored);
        if (!call.TryGetPropertyValue("function", out var fnNode) || fnNode is null)
            throw new ChatFormatException(path + ".function", "missing");
        if (fnNode is not JsonObject fn) throw WrongKind(path + ".function", "an object", fnNode);
        string fnPath = path + ".function";
        string name = OptionalString(fn, "name", fnPath, ChatMessageFields.None, ref ignored)
            ?? throw new ChatFormatException(fnPath + ".name", "missing");
        if (!fn.TryGetPropertyValue("arguments", out var args))
            throw new ChatFormatException(fnPath + ".arguments", "missing");
        var arguments = args is JsonValue v && v.GetValueKind() == JsonValueKind.String
            ? ToolCallArguments.FromText(v.GetValue<string>())
            : ToolCallArguments.FromJson(args?.DeepClone());
        return new ToolCall(id, new FunctionCall(name, arguments)) { Type = type };
    }

    /// <summary>A string field; null when absent or null (then its flag is set in <paramref name="nulls"/>).</summary>
    private static string? OptionalString(
        JsonObject obj, string key, string path, ChatMessageFields field, ref ChatMessageFields nulls)
    {
        if (!Present(obj, key, field, ref nulls, out var node)) return null;
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.String) return v.GetValue<string>();
        throw WrongKind(path + "." + key, "a string", node);
    }

    private static bool Present(
        JsonObject obj, string key, ChatMessageFields field, ref ChatMessageFields nulls, out JsonNode? node)
    {
        if (!obj.TryGetPropertyValue(key, out node)) return false;
        if (node is not null) return true;
        nulls |= field;
        return false;
    }

    private static ChatFormatException WrongKind(string path, string expected, JsonNode? found) =>
        new(path, $"expected {expected}, found {PythonJson.KindName(found)}");
}

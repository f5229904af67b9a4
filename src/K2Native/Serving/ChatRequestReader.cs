// Reads a /v1/chat/completions body into a ChatCompletionRequest: every field OpenAI defines is either used,
// accepted at its neutral value, or refused with a 400 naming it; fields nobody defines are reported to the
// caller (who logs them) and ignored. Messages go through the chat layer's reader (types of every field the
// template reads), after `reasoning` is mapped to `reasoning_content`.
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using K2Native.Text;

namespace K2Native.Serving;

/// <summary>Parses and validates chat completion requests.</summary>
public static partial class ChatRequestReader
{
    /// <summary>Reads <paramref name="body"/>; <paramref name="ignored"/> hears each unknown field's name.</summary>
    /// <exception cref="ApiException">400 naming the first bad field.</exception>
    public static ChatCompletionRequest Read(ReadOnlySpan<byte> body, Action<string>? ignored = null)
    {
        var f = RequestFields.Parse(body);
        var sampling = GenerationFields.Sampling(f);
        var request = new ChatCompletionRequest
        {
            Model = f.String("model"),
            Messages = ReadMessages(f.Node("messages"), f.Has("messages")),
            Tools = ReadTools(f.Node("tools")),
            ToolChoice = ReadToolChoice(f.Node("tool_choice")),
            ParallelToolCalls = f.Bool("parallel_tool_calls") ?? true,
            MaxTokens = ReadMaxTokens(f),
            Temperature = sampling.Temperature,
            TopP = sampling.TopP,
            TopK = sampling.TopK,
            MinP = sampling.MinP,
            Seed = sampling.Seed,
            Stop = GenerationFields.Stop(f),
            Stream = f.Bool("stream") ?? false,
            IncludeUsage = GenerationFields.IncludeUsage(f),
            TopLogProbs = ReadLogProbs(f),
            Thinking = ReadThinking(f),
        };
        RefuseUnsupported(f);
        if (request.Tools is not null && f.Node("tool_choice") is null && request.Tools.Count == 0)
            request = request with { Tools = null };
        request.Validate();
        foreach (string key in f.Unread) ignored?.Invoke(key);
        return request;
    }

    private static IReadOnlyList<ChatMessage> ReadMessages(JsonNode? node, bool present)
    {
        if (node is null)
            throw ApiException.Invalid(
                "messages", present ? "expected an array of messages, found null" : "missing",
                "missing_required_parameter");
        if (node is not JsonArray messages) throw RequestFields.WrongType("messages", "an array of messages", node);
        var list = new List<ChatMessage>(messages.Count);
        for (int i = 0; i < messages.Count; i++)
        {
            string path = $"messages[{i}]";
            var m = messages[i];
            if (m is JsonObject obj && obj.ContainsKey("reasoning") && !obj.ContainsKey("reasoning_content"))
            {
                var copy = (JsonObject)obj.DeepClone();
                copy["reasoning_content"] = copy["reasoning"]?.DeepClone();
                m = copy;
            }
            try
            {
                var message = ConversationReader.ReadMessage(m, path);
                list.Add(message.Role == "developer" ? message with { Role = "system" } : message);
            }
            catch (ChatFormatException e)
            {
                throw ApiException.Invalid(e.JsonPath.Length > 0 ? e.JsonPath : path, e.Problem, "invalid_type");
            }
        }
        return list;
    }

    private static JsonArray? ReadTools(JsonNode? node)
    {
        if (node is null) return null;
        if (node is not JsonArray tools) throw RequestFields.WrongType("tools", "an array of tools", node);
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < tools.Count; i++)
        {
            string path = $"tools[{i}]";
            if (tools[i] is not JsonObject tool) throw RequestFields.WrongType(path, "a tool object", tools[i]);
            if (tool["type"] is not JsonValue type || type.GetValueKind() != JsonValueKind.String
                || type.GetValue<string>() != "function")
                throw ApiException.Invalid(path + ".type", "only \"function\" tools are supported");
            if (tool["function"] is not JsonObject fn)
                throw RequestFields.WrongType(path + ".function", "an object", tool["function"]);
            if (fn["name"] is not JsonValue name || name.GetValueKind() != JsonValueKind.String)
                throw RequestFields.WrongType(path + ".function.name", "a string", fn["name"]);
            string n = name.GetValue<string>();
            if (!ToolName().IsMatch(n))
                throw ApiException.Invalid(
                    path + ".function.name", $"\"{n}\" must be 1 to 64 letters, digits, '_', '-' or '.'");
            if (!names.Add(n)) throw ApiException.Invalid(path + ".function.name", $"\"{n}\" is defined twice");
            if (fn["description"] is { } d && d.GetValueKind() != JsonValueKind.String)
                throw RequestFields.WrongType(path + ".function.description", "a string", d);
            if (fn["parameters"] is { } p && p is not JsonObject)
                throw RequestFields.WrongType(path + ".function.parameters", "a JSON schema object", p);
        }
        return (JsonArray)tools.DeepClone();
    }

    private static ToolChoice ReadToolChoice(JsonNode? node)
    {
        switch (node)
        {
            case null:
                return ToolChoice.Auto;
            case JsonValue v when v.GetValueKind() == JsonValueKind.String:
                return v.GetValue<string>() switch
                {
                    "auto" => ToolChoice.Auto,
                    "none" => ToolChoice.None,
                    "required" => ToolChoice.Required,
                    var s => throw ApiException.Invalid(
                        "tool_choice", $"\"{s}\" is not one of none, auto, required or a named function"),
                };
            case JsonObject o:
                if (o["type"]?.GetValueKind() != JsonValueKind.String || o["type"]!.GetValue<string>() != "function")
                    throw ApiException.Invalid("tool_choice.type", "expected \"function\"");
                if (o["function"]?["name"] is not JsonValue name || name.GetValueKind() != JsonValueKind.String)
                    throw RequestFields.WrongType("tool_choice.function.name", "a string", o["function"]?["name"]);
                return new ToolChoice(ToolChoiceMode.Named, name.GetValue<string>());
            default:
                throw RequestFields.WrongType("tool_choice", "a string or a named function object", node);
        }
    }

    private static int? ReadMaxTokens(RequestFields f)
    {
        long? a = f.Integer("max_completion_tokens", 1, int.MaxValue);
        long? b = f.Integer("max_tokens", 1, int.MaxValue);
        return (int?)(a ?? b);
    }

    /// <summary>logprobs: true with top_logprobs 0..20 (OpenAI needs logprobs for top_logprobs; vLLM refuses it
    /// too).</summary>
    private static int? ReadLogProbs(RequestFields f)
    {
        bool logprobs = f.Bool("logprobs") ?? false;
        int? top = GenerationFields.TopLogProbs(f, "top_logprobs");
        if (top is not null && !logprobs)
            throw ApiException.Invalid("top_logprobs", "only allowed when logprobs is true");
        return logprobs ? top ?? 0 : null;
    }

    /// <summary>chat_template_kwargs.thinking (vLLM, SGLang) or Moonshot's {"thinking": {"type": "enabled" |
    /// "disabled"}}.</summary>
    private static bool? ReadThinking(RequestFields f)
    {
        bool? thinking = null;
        if (f.Node("chat_template_kwargs") is { } kwargs)
        {
            if (kwargs is not JsonObject o) throw RequestFields.WrongType("chat_template_kwargs", "an object", kwargs);
            if (o["thinking"] is { } t)
                thinking = t.GetValueKind() is JsonValueKind.True or JsonValueKind.False
                    ? t.GetValue<bool>()
                    : throw RequestFields.WrongType("chat_template_kwargs.thinking", "true or false", t);
        }
        if (f.Node("thinking") is { } moonshot)
        {
            if (moonshot is not JsonObject o || o["type"] is not JsonValue type
                || type.GetValueKind() != JsonValueKind.String)
                throw RequestFields.WrongType("thinking", "an object {\"type\": \"enabled\" | \"disabled\"}", moonshot);
            thinking = type.GetValue<string>() switch
            {
                "enabled" => true,
                "disabled" => false,
                var s => throw ApiException.Invalid("thinking.type", $"\"{s}\" is not enabled or disabled"),
            };
        }
        return thinking;
    }

    /// <summary>OpenAI fields this server does not implement: refused unless they hold their neutral value.</summary>
    private static void RefuseUnsupported(RequestFields f)
    {
        GenerationFields.RefuseUnsupported(f);
        f.RefuseUnlessNeutral(
            "response_format",
            n => n is JsonObject o && o["type"]?.GetValueKind() == JsonValueKind.String
                && o["type"]!.GetValue<string>() == "text",
            "only {\"type\": \"text\"} is supported (no constrained JSON decoding)");
        f.RefuseUnlessNeutral("functions", _ => false, "the legacy functions field is not supported; use tools");
        f.RefuseUnlessNeutral(
            "function_call", _ => false, "the legacy function_call field is not supported; use tool_choice");
        f.RefuseUnlessNeutral("audio", _ => false, "audio output is not supported");
        f.RefuseUnlessNeutral("prediction", _ => false, "predicted outputs are not supported");
        f.RefuseUnlessNeutral(
            "modalities",
            n => n is JsonArray a
                && a.All(m => m?.GetValueKind() == JsonValueKind.String && m.GetValue<string>() == "text"),
            "only text output is supported");
    }

    [GeneratedRegex("^[A-Za-z0-9_.\\-]{1,64}$")]
    private static partial Regex ToolName();
}

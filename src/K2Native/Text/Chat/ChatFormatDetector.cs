// Which chat format a checkpoint directory speaks. Its own chat template decides when it ships one (a template
// that mentions <think> is K2 Thinking's; one with K2's <|im_middle|> header but no <think> is Instruct's; any
// other template is refused, since rendering it natively would be a guess). Without a template, config.json hints:
// a model name saying "thinking" or "instruct", then the weight format (K2 Thinking ships INT4 compressed-tensors,
// K2 Instruct FP8). With no hint at all the answer is K2 Thinking, the model this engine is built around.
using System.Text.Json;
using System.Text.Json.Nodes;

namespace K2Native.Text;

internal static class ChatFormatDetector
{
    public static ChatFormat Detect(string directory, out string reason)
    {
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException($"checkpoint directory not found: {directory}");

        string jinja = Path.Combine(directory, "chat_template.jinja");
        if (File.Exists(jinja)) return Classify(File.ReadAllText(jinja), jinja, out reason);

        foreach (string name in (ReadOnlySpan<string>)["chat_template.json", "tokenizer_config.json"])
        {
            string file = Path.Combine(directory, name);
            if (File.Exists(file) && TemplateField(file) is { } template)
                return Classify(template, file + " (chat_template)", out reason);
        }

        string config = Path.Combine(directory, "config.json");
        if (File.Exists(config) && ConfigHint(config, out reason) is { } hinted) return hinted;

        reason = "no chat template and no hint in config.json: K2 Thinking by default";
        return ChatFormat.Thinking;
    }

    private static ChatFormat Classify(string template, string source, out string reason)
    {
        if (template.Contains(K2Markers.ThinkBegin, StringComparison.Ordinal))
        {
            reason = $"{source} uses <think>: K2 Thinking";
            return ChatFormat.Thinking;
        }
        if (template.Contains(K2Markers.ImMiddle, StringComparison.Ordinal))
        {
            reason = $"{source} is a K2 template without <think>: K2 Instruct";
            return ChatFormat.Instruct;
        }
        throw new ChatFormatException(
            "",
            "the checkpoint's chat template is not a Kimi K2 format (no <|im_middle|>); choose the format explicitly")
            .InFile(source);
    }

    /// <summary>The "chat_template" field: a string, or a list of {name, template} (the one named "default", else the
    /// first).</summary>
    private static string? TemplateField(string file)
    {
        try
        {
            var field = ReadObject(file)["chat_template"];
            if (field is null) return null;
            if (StringOf(field) is { } text) return text;
            if (field is JsonArray list
                && StringOf(Member(
                    list.FirstOrDefault(t => StringOf(Member(t, "name")) == "default") ?? list.FirstOrDefault(),
                    "template")) is { } named)
                return named;
            throw new ChatFormatException(
                "chat_template",
                $"expected a string or a list of {{\"name\", \"template\"}} objects, "
                + $"found {PythonJson.KindName(field)}");
        }
        catch (ChatFormatException e)
        {
            throw e.InFile(file);
        }
    }

    private static ChatFormat? ConfigHint(string file, out string reason)
    {
        JsonObject config;
        try
        {
            config = ReadObject(file);
        }
        catch (ChatFormatException e)
        {
            throw e.InFile(file);
        }
        foreach (string key in (ReadOnlySpan<string>)["_name_or_path", "name_or_path"])
        {
            if (StringOf(config[key]) is { } name)
            {
                if (name.Contains("thinking", StringComparison.OrdinalIgnoreCase))
                    { reason = $"{file}: {key} \"{name}\""; return ChatFormat.Thinking; }
                if (name.Contains("instruct", StringComparison.OrdinalIgnoreCase))
                    { reason = $"{file}: {key} \"{name}\""; return ChatFormat.Instruct; }
            }
        }
        if (StringOf(Member(config["quantization_config"], "quant_method")) is { } method)
        {
            if (method == "compressed-tensors")
            {
                reason = $"{file}: INT4 compressed-tensors weights, as K2 Thinking ships";
                return ChatFormat.Thinking;
            }
            if (method == "fp8") { reason = $"{file}: FP8 weights, as K2 Instruct ships"; return ChatFormat.Instruct; }
        }
        reason = "";
        return null;
    }

    private static JsonObject ReadObject(string file) =>
        JsonInput.Parse(File.ReadAllBytes(file)) as JsonObject ?? throw new ChatFormatException(
            "", "expected a JSON object");

    private static JsonNode? Member(JsonNode? node, string key) => (node as JsonObject)?[key];

    private static string? StringOf(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
}

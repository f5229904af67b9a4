// A chat request as `k2 template` and a REPL read and save it: { "messages": [...], "tools": [...],
// "add_generation_prompt": true|false }. Loading then saving then loading gives back an equal conversation
// (and the same rendered prompt); keys the template never reads (model, temperature...) are not kept.
using System.Text;
using System.Text.Json.Nodes;

namespace K2Native.Text;

/// <summary>Messages, the OpenAI tool list (kept as raw JSON: the template only serializes it) and whether to end with
/// a generation prompt.</summary>
public sealed record Conversation
{
    public IReadOnlyList<ChatMessage> Messages { get; init; } = [];

    /// <summary>The "tools" array as given (null when absent).</summary>
    public JsonNode? Tools { get; init; }

    /// <summary>End the prompt with the assistant header so the model answers (default true).</summary>
    public bool AddGenerationPrompt { get; init; } = true;

    /// <summary>Parses a conversation from JSON text.</summary>
    /// <exception cref="ChatFormatException">Not JSON, or a field is missing or of the wrong kind (the message gives
    /// its JSON path).</exception>
    public static Conversation Parse(string json) => ConversationReader.Read(JsonInput.Parse(json));

    /// <summary>Parses a conversation from UTF-8 JSON.</summary>
    public static Conversation Parse(ReadOnlySpan<byte> utf8Json) => ConversationReader.Read(JsonInput.Parse(utf8Json));

    /// <summary>Reads a conversation file; errors name the file and the JSON path.</summary>
    public static Conversation Load(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        try
        {
            return Parse(bytes);
        }
        catch (ChatFormatException e)
        {
            throw e.InFile(path);
        }
    }

    /// <summary>The conversation as indented JSON that <see cref="Parse(string)"/> reads back to an equal
    /// conversation.</summary>
    public string ToJson()
    {
        var sb = new StringBuilder();
        PythonJson.Write(sb, ConversationWriter.ToNode(this), JsonStyle.File, 0);
        return sb.ToString();
    }

    /// <summary>Writes <see cref="ToJson"/> to a file as UTF-8 (no byte order mark).</summary>
    public void Save(string path) => File.WriteAllText(
        path, ToJson() + "\n", new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));

    public bool Equals(Conversation? other) =>
        other is not null && AddGenerationPrompt == other.AddGenerationPrompt
        && Messages.SequenceEqual(other.Messages) && JsonNode.DeepEquals(Tools, other.Tools);

    public override int GetHashCode() => HashCode.Combine(Messages.Count, AddGenerationPrompt);
}

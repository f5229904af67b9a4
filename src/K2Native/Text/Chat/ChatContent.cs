// A message's content as OpenAI-style requests carry it: one string, or a list of parts ({"type": "text",
// "text": ...}, image parts...). Parts are kept as the JSON objects they were, so nothing of an image part is lost
// on a save and reload; the template only looks at "type", "text" and whether "image"/"image_url" keys exist.
using System.Text.Json.Nodes;

namespace K2Native.Text;

/// <summary>Content given as a string (<see cref="Text"/>) or as a list of parts (<see cref="Parts"/>).</summary>
public sealed class ChatContent : IEquatable<ChatContent>
{
    private ChatContent(string? text, IReadOnlyList<JsonObject>? parts)
    {
        Text = text;
        Parts = parts;
    }

    /// <summary>The content when it was given as one string; null when it is a list of parts.</summary>
    public string? Text { get; }

    /// <summary>The parts when the content was given as a list; null when it is a string.</summary>
    public IReadOnlyList<JsonObject>? Parts { get; }

    public static ChatContent FromText(string text) => new(text ?? throw new ArgumentNullException(nameof(text)), null);

    public static ChatContent FromParts(IEnumerable<JsonObject> parts) => new(null, parts.ToArray());

    public static implicit operator ChatContent(string text) => FromText(text);

    /// <summary>A {"type": "text", "text": ...} part.</summary>
    public static JsonObject TextPart(string text) => new() { ["type"] = "text", ["text"] = text };

    /// <summary>Whether the template renders this part as an image placeholder: type "image", or an "image" or
    /// "image_url" key.</summary>
    public static bool IsImagePart(JsonObject part) =>
        (part["type"] is JsonValue type && type.TryGetValue<string>(out var t) && t == "image")
        || part.ContainsKey("image") || part.ContainsKey("image_url");

    /// <summary>The text parts joined (image parts left out): what a reader of the conversation sees as text.</summary>
    public string PlainText => Text
        ?? string.Concat(
            Parts!.Where(p => !IsImagePart(p)).Select(
                p => p["text"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : ""));

    public bool Equals(ChatContent? other) =>
        other is not null && Text == other.Text
        && (Parts is null ? other.Parts is null : other.Parts is not null && Parts.Count == other.Parts.Count
            && Parts.Zip(other.Parts).All(pair => JsonNode.DeepEquals(pair.First, pair.Second)));

    public override bool Equals(object? obj) => Equals(obj as ChatContent);

    public override int GetHashCode() => Text?.GetHashCode(StringComparison.Ordinal) ?? Parts!.Count;

    public override string ToString() => PlainText;
}

// A tool call of an assistant message, OpenAI style: {"id", "type": "function", "function": {"name", "arguments"}}.
// The arguments stay in the form they were given: a JSON string is rendered into the prompt verbatim (whatever
// it holds), any other JSON value through Python's json.dumps, exactly as the K2 template does.
using System.Text.Json.Nodes;

namespace K2Native.Text;

/// <summary>One tool call; <see cref="Id"/> is K2's <c>functions.NAME:IDX</c> for calls the model made.</summary>
public sealed record ToolCall(string Id, FunctionCall Function)
{
    /// <summary>"function" (null when a parsed call had no "type" key; the template ignores it).</summary>
    public string? Type { get; init; } = "function";

    /// <summary>A function call with its arguments as JSON text.</summary>
    public static ToolCall Create(string id, string name, string argumentsJson) =>
        new(id, new FunctionCall(name, ToolCallArguments.FromText(argumentsJson)));
}

/// <summary>The function a tool call names and its arguments.</summary>
public sealed record FunctionCall(string Name, ToolCallArguments Arguments);

/// <summary>Arguments given as a JSON string (<see cref="Text"/>) or as a JSON value (<see cref="Json"/>).</summary>
public sealed class ToolCallArguments : IEquatable<ToolCallArguments>
{
    private ToolCallArguments(string? text, JsonNode? json)
    {
        Text = text;
        Json = json;
    }

    /// <summary>The arguments when given as a string (usually JSON text, as models produce it); null
    /// otherwise.</summary>
    public string? Text { get; }

    /// <summary>The arguments when given as a JSON value (an object, usually; null for JSON null); null when
    /// <see cref="IsText"/>.</summary>
    public JsonNode? Json { get; }

    public bool IsText => Text is not null;

    public static ToolCallArguments FromText(string text) => new(
        text ?? throw new ArgumentNullException(nameof(text)), null);

    public static ToolCallArguments FromJson(JsonNode? json) => new(null, json);

    /// <summary>What the template writes into the prompt: the string verbatim, or Python's json.dumps of the
    /// value.</summary>
    public string ToPromptText() => Text ?? PythonJson.Serialize(Json);

    public bool Equals(ToolCallArguments? other) =>
        other is not null && Text == other.Text && (IsText || JsonNode.DeepEquals(Json, other.Json));

    public override bool Equals(object? obj) => Equals(obj as ToolCallArguments);

    public override int GetHashCode() => Text?.GetHashCode(StringComparison.Ordinal) ?? 0;

    public override string ToString() => ToPromptText();
}

// Tools the engine can run itself when a model calls them (small, deterministic, no side effects): each has an
// OpenAI-style declaration to put in the conversation's tool list and a function from argument JSON to result
// text. Bad arguments give an error text for the model to read, never an exception.
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using K2Native.Text;

namespace K2Native.Applications.Tools;

/// <summary>A tool the host runs itself.</summary>
internal abstract class BuiltinTool
{
    /// <summary>The function name the model calls.</summary>
    public abstract string Name { get; }

    public abstract string Description { get; }

    /// <summary>JSON schema of the arguments object.</summary>
    public abstract JsonObject Parameters();

    /// <summary>Runs the tool on the raw argument JSON; the result (or an "error: ..." text) goes back to the
    /// model.</summary>
    public string Invoke(string argumentsJson)
    {
        JsonObject arguments;
        try
        {
            // Read as Python's json.loads reads it (a repeated key keeps its last value), as the tools' data is
            // written.
            arguments = JsonInput.Parse(argumentsJson) as JsonObject
                ?? throw new FormatException("arguments must be a JSON object");
        }
        catch (FormatException e)
        {
            return $"error: arguments are not a JSON object ({e.Message})";
        }
        try
        {
            return Run(arguments);
        }
        catch (Exception e) when (e is ArgumentException
            or FormatException
            or InvalidOperationException
            or OverflowException)
        {
            return "error: " + e.Message;
        }
    }

    /// <summary>The OpenAI tool declaration: {"type": "function", "function": {name, description,
    /// parameters}}.</summary>
    public virtual JsonObject Declaration() => new()
    {
        ["type"] = "function",
        ["function"] = new JsonObject
        {
            ["name"] = Name,
            ["description"] = Description,
            ["parameters"] = Parameters(),
        },
    };

    protected abstract string Run(JsonObject arguments);

    /// <summary>A required string argument.</summary>
    protected static string RequiredString(JsonObject arguments, string name) =>
        arguments[name] is JsonValue v && v.TryGetValue(out string? s) ? s : throw new ArgumentException(
            $"argument '{name}' must be a string");

    /// <summary>A required number argument (a JSON number; its text read as Python's float() reads it).</summary>
    protected static double RequiredNumber(JsonObject arguments, string name) =>
        arguments[name] is JsonValue v && v.GetValueKind() == JsonValueKind.Number
            ? double.Parse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture)
            : throw new ArgumentException($"argument '{name}' must be a number");

    /// <summary>A schema of one required string property.</summary>
    protected static JsonObject OneString(string name, string description) => new()
    {
        ["type"] = "object",
        ["properties"] = new JsonObject
        {
            [name] = new JsonObject { ["type"] = "string", ["description"] = description }
        },
        ["required"] = new JsonArray(name),
    };
}

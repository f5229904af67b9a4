// Base of the demo tools: a built-in tool whose declaration is the one demo_tools.json gives, returned as is (key
// order and all), so the rendered tool list is the file's and not a re-creation of it.
using System.Text.Json.Nodes;

namespace K2Native.Applications.Tools.Demo;

/// <summary>A built-in tool declared by demo_tools.json.</summary>
internal abstract class DemoTool(JsonObject declaration) : BuiltinTool
{
    private readonly JsonObject _declaration = (JsonObject)declaration.DeepClone();

    public override string Name => _declaration["function"]!["name"]!.GetValue<string>();

    public override string Description => _declaration["function"]!["description"]?.GetValue<string>() ?? "";

    public override JsonObject Parameters() => (JsonObject)_declaration["function"]!["parameters"]!.DeepClone();

    /// <summary>The declaration exactly as the file has it.</summary>
    public override JsonObject Declaration() => (JsonObject)_declaration.DeepClone();
}

// The demo `lookup`: an attribute of a country, planet or element. The entity matches a key ignoring case and
// surrounding spaces; the attribute must match one of that entry's attributes exactly, and an error lists them so
// the model can correct itself.
using System.Text.Json.Nodes;

namespace K2Native.Applications.Tools.Demo;

/// <summary>lookup(entity, attribute) -> the stored string.</summary>
internal sealed class LookupTool : DemoTool
{
    private readonly Dictionary<string, DemoEntity> _entities;

    public LookupTool(JsonObject declaration, IReadOnlyList<DemoEntity> entities) : base(declaration) =>
        _entities = entities.ToDictionary(e => Key(e.Name), StringComparer.Ordinal);

    protected override string Run(JsonObject arguments)
    {
        string entity = RequiredString(arguments, "entity");
        string attribute = RequiredString(arguments, "attribute");
        if (!_entities.TryGetValue(Key(entity), out var entry))
            throw new ArgumentException($"unknown entity '{entity.Trim()}'");
        foreach (var (name, value) in entry.Attributes)
            if (name == attribute) return value;
        throw new ArgumentException(
            $"{entry.Name} has no attribute '{attribute}'; its attributes are "
            + $"{string.Join(", ", entry.Attributes.Select(a => a.Key))}");
    }

    private static string Key(string name) => name.Trim().ToLowerInvariant();
}

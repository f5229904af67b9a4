// The data the demo tools run on, as demo_tools.json holds it: units with a kind and (for linear kinds) a factor to
// the kind's base unit, and lookup entities with string attributes in file order.
namespace K2Native.Applications.Tools.Demo;

/// <summary>A unit of convert_units; <see cref="Factor"/> is null for temperature units, which go through
/// Celsius.</summary>
internal sealed record DemoUnit(string Name, string Kind, double? Factor);

/// <summary>A lookup entry: its key as written in the file, its kind, and its attributes (kind excluded) in file
/// order.</summary>
internal sealed record DemoEntity(string Name, string Kind, IReadOnlyList<KeyValuePair<string, string>> Attributes);

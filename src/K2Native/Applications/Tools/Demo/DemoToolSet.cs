// The demo model's four tools (calculator, convert_units, current_date, lookup) with their declarations and data,
// read from demo_tools.json (docs/demo-model.md is the contract). The declarations are kept exactly as the file
// holds them, key order included, so a prompt rendered here is byte for byte the one the Python side trained on.
using System.Text.Json.Nodes;

namespace K2Native.Applications.Tools.Demo;

/// <summary>The tools of a demo_tools.json: declarations in file order, units, lookup entities.</summary>
internal sealed class DemoToolSet
{
    /// <summary>The file's name in a checkpoint directory.</summary>
    public const string FileName = "demo_tools.json";

    /// <summary>The names the contract defines; the file declares each exactly once, in any order.</summary>
    public static IReadOnlyList<string> KnownTools { get; } = ["calculator", "convert_units", "current_date", "lookup"];

    private readonly JsonArray _declarations;

    internal DemoToolSet(
        string source, JsonArray declarations, IReadOnlyDictionary<string, DemoUnit> units,
        IReadOnlyList<DemoEntity> entities)
    {
        Source = source;
        _declarations = declarations;
        Units = units;
        Entities = entities;
        ToolNames = declarations.Select(d => d!["function"]!["name"]!.GetValue<string>()).ToArray();
    }

    /// <summary>Where the set was read from (a path, or the name given with a stream).</summary>
    public string Source { get; }

    /// <summary>The tool names in declaration order.</summary>
    public IReadOnlyList<string> ToolNames { get; }

    public IReadOnlyDictionary<string, DemoUnit> Units { get; }

    public IReadOnlyList<DemoEntity> Entities { get; }

    /// <summary>A copy of the file's "tools" array: the tool list every demo prompt declares.</summary>
    public JsonArray Declarations() => (JsonArray)_declarations.DeepClone();

    /// <summary>Reads a demo_tools.json file.</summary>
    /// <exception cref="DemoFormatException">The file is not what the contract describes (the message names the
    /// field).</exception>
    public static DemoToolSet Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found", path);
        return Parse(File.ReadAllBytes(path), path);
    }

    /// <summary>Reads a demo tools document from a stream; <paramref name="source"/> names it in errors.</summary>
    public static DemoToolSet Load(Stream stream, string source)
    {
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return Parse(copy.GetBuffer().AsSpan(0, (int)copy.Length), source);
    }

    /// <summary>Reads a demo tools document from UTF-8 JSON.</summary>
    public static DemoToolSet Parse(ReadOnlySpan<byte> utf8Json, string source) => DemoToolSetReader.Read(
        utf8Json, source);

    /// <summary>The path of a checkpoint directory's demo_tools.json, or null when it has none.</summary>
    public static string? FindIn(string directory)
    {
        string path = Path.Combine(directory, FileName);
        return File.Exists(path) ? path : null;
    }

    /// <summary>The tools, in declaration order; current_date reports the host's local date from
    /// <paramref name="time"/>.</summary>
    public IReadOnlyList<BuiltinTool> CreateTools(TimeProvider time) =>
        CreateTools(() => DateOnly.FromDateTime(time.GetLocalNow().DateTime));

    /// <summary>The tools, in declaration order; current_date reports <paramref name="today"/> (an eval task's
    /// date).</summary>
    public IReadOnlyList<BuiltinTool> CreateTools(DateOnly today) => CreateTools(() => today);

    private BuiltinTool[] CreateTools(Func<DateOnly> today) => _declarations.Select(d =>
    {
        var declaration = (JsonObject)d!;
        return (BuiltinTool)(declaration["function"]!["name"]!.GetValue<string>() switch
        {
            "calculator" => new DemoCalculatorTool(declaration),
            "convert_units" => new ConvertUnitsTool(declaration, Units),
            "current_date" => new CurrentDateTool(declaration, today),
            _ => new LookupTool(declaration, Entities),
        });
    }).ToArray();
}

// Checks a demo_tools.json against the contract (docs/demo-model.md) and builds the DemoToolSet: version 1; a
// "tools" array declaring calculator, convert_units, current_date and lookup once each; "units" whose linear kinds
// have a positive factor and whose temperature units are C, F and K; "lookup" entries with a string "kind" and
// string attributes, keys distinct ignoring case and surrounding spaces. The first problem found is reported with
// its JSON path.
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using K2Native.Text;

namespace K2Native.Applications.Tools.Demo;

internal static class DemoToolSetReader
{
    public const string TemperatureKind = "temperature";

    public static DemoToolSet Read(ReadOnlySpan<byte> utf8Json, string source)
    {
        JsonNode? root;
        try
        {
            root = JsonInput.Parse(utf8Json);
        }
        catch (ChatFormatException e)
        {
            throw new DemoFormatException(source, null, "", e.Problem);
        }
        if (root is not JsonObject obj)
            throw Error(source, "", "expected a JSON object with \"version\", \"tools\", \"units\" and \"lookup\"");
        if (obj["version"] is not JsonValue version || version.ToJsonString() != "1")
            throw Error(source, "version", $"expected 1, found {Describe(obj["version"])}");
        return new DemoToolSet(source, Tools(obj, source), Units(obj, source), Entities(obj, source));
    }

    private static JsonArray Tools(JsonObject root, string source)
    {
        if (root["tools"] is not JsonArray tools)
            throw Error(source, "tools", $"expected an array of tool declarations, found {Describe(root["tools"])}");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < tools.Count; i++)
        {
            string path = $"tools[{i}]";
            if (tools[i] is not JsonObject tool)
                throw Error(source, path, $"expected a tool declaration object, found {Describe(tools[i])}");
            if (String(tool["type"]) != "function")
                throw Error(source, path + ".type", $"expected \"function\", found {Describe(tool["type"])}");
            if (tool["function"] is not JsonObject function)
                throw Error(source, path + ".function", $"expected an object, found {Describe(tool["function"])}");
            string name = String(function["name"])
                ?? throw Error(
                    source, path + ".function.name", $"expected a string, found {Describe(function["name"])}");
            if (!DemoToolSet.KnownTools.Contains(name))
                throw Error(
                    source, path + ".function.name",
                    $"unknown tool \"{name}\" (the demo tools are {string.Join(", ", DemoToolSet.KnownTools)})");
            if (!seen.Add(name)) throw Error(source, path + ".function.name", $"\"{name}\" is declared twice");
            if (function["description"] is { } d && String(d) is null)
                throw Error(source, path + ".function.description", $"expected a string, found {Describe(d)}");
            if (function["parameters"] is not JsonObject)
                throw Error(
                    source, path + ".function.parameters",
                    $"expected a JSON schema object, found {Describe(function["parameters"])}");
        }
        var missing = DemoToolSet.KnownTools.Where(n => !seen.Contains(n)).ToArray();
        if (missing.Length > 0)
            throw Error(
                source, "tools", $"{string.Join(", ", missing)} {(missing.Length == 1 ? "is" : "are")} not declared");
        return (JsonArray)tools.DeepClone();
    }

    private static Dictionary<string, DemoUnit> Units(JsonObject root, string source)
    {
        if (root["units"] is not JsonObject units)
            throw Error(source, "units", $"expected an object of units, found {Describe(root["units"])}");
        var result = new Dictionary<string, DemoUnit>(StringComparer.Ordinal);
        foreach (var (name, node) in units)
        {
            string path = "units." + name;
            if (node is not JsonObject unit)
                throw Error(source, path, $"expected an object with \"kind\", found {Describe(node)}");
            string kind = String(unit["kind"])
                ?? throw Error(source, path + ".kind", $"expected a string, found {Describe(unit["kind"])}");
            double? factor = null;
            if (kind == TemperatureKind)
            {
                if (name is not ("C" or "F" or "K"))
                    throw Error(source, path, "the temperature units are C, F and K (conversions go through Celsius)");
                if (unit.ContainsKey("factor"))
                    throw Error(
                        source, path + ".factor", "a temperature unit has no factor (conversions go through Celsius)");
            }
            else
            {
                factor = Number(unit["factor"]);
                if (factor is not { } f || !double.IsFinite(f) || f <= 0)
                    throw Error(
                        source, path + ".factor", $"expected a positive number, found {Describe(unit["factor"])}");
            }
            result.Add(name, new DemoUnit(name, kind, factor));
        }
        return result;
    }

    private static List<DemoEntity> Entities(JsonObject root, string source)
    {
        if (root["lookup"] is not JsonObject lookup)
            throw Error(source, "lookup", $"expected an object of entities, found {Describe(root["lookup"])}");
        var result = new List<DemoEntity>();
        var keys = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, node) in lookup)
        {
            string path = "lookup." + name;
            string key = name.Trim().ToLowerInvariant();
            if (key.Length == 0) throw Error(source, path, "an entity needs a name that is not blank");
            if (keys.TryGetValue(key, out var other))
                throw Error(source, path, $"same entity as \"{other}\" when case and surrounding spaces are ignored");
            keys.Add(key, name);
            if (node is not JsonObject entry)
                throw Error(source, path, $"expected an object of string attributes, found {Describe(node)}");
            string kind = String(entry["kind"])
                ?? throw Error(source, path + ".kind", $"expected a string, found {Describe(entry["kind"])}");
            var attributes = new List<KeyValuePair<string, string>>();
            foreach (var (attribute, value) in entry)
            {
                if (attribute == "kind") continue;
                string text = String(value)
                    ?? throw Error(source, $"{path}.{attribute}", $"expected a string, found {Describe(value)}");
                attributes.Add(new(attribute, text));
            }
            if (attributes.Count == 0)
                throw Error(source, path, "an entity needs at least one attribute besides \"kind\"");
            result.Add(new DemoEntity(name, kind, attributes));
        }
        return result;
    }

    private static string? String(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    private static double? Number(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.Number
            ? double.Parse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture)
            : null;

    private static string Describe(JsonNode? node) => node is null ? "nothing (or null)" : PythonJson.KindName(node);

    private static DemoFormatException Error(string source, string field, string problem) => new(
        source, null, field, problem);
}

// A small, strict reader of native/include/k2native.h in its own style (not a C parser): the function
// declarations (K2_API ret name(params);), the typedef'd structs and enums, and the #define integer constants.
// Anything it does not recognise inside those forms fails the test rather than being skipped.
using System.Text.RegularExpressions;

namespace K2Native.Tests.Backends.Cuda;

internal sealed record CParameter(string Type, string Name);

internal sealed record CFunction(string Name, string ReturnType, CParameter[] Parameters);

internal sealed record CField(string Type, string Name, int ArrayLength);

internal sealed record CStruct(string Name, CField[] Fields);

internal sealed partial class HeaderModel
{
    private HeaderModel(string text)
    {
        string code = Comments().Replace(text, " ");
        Functions = Declarations().Matches(code).Select(
            m => new CFunction(
                m.Groups[2].Value, Normalize(m.Groups[1].Value), ParseParameters(m.Groups[3].Value))).ToArray();
        Structs = StructBodies().Matches(code).Select(
            m => new CStruct(m.Groups[1].Value, ParseFields(m.Groups[2].Value))).ToArray();
        Enums = EnumBodies().Matches(code).ToDictionary(m => m.Groups[1].Value, m => ParseEnum(m.Groups[2].Value));
        Defines = IntDefines().Matches(code).ToDictionary(m => m.Groups[1].Value, m => int.Parse(m.Groups[2].Value));
    }

    public static string Path => System.IO.Path.Combine(
        Support.SharedFixtures.RepositoryRoot, "native", "include", "k2native.h");

    public static HeaderModel Load() => new(File.ReadAllText(Path));

    public CFunction[] Functions { get; }

    public CStruct[] Structs { get; }

    public Dictionary<string, Dictionary<string, int>> Enums { get; }

    public Dictionary<string, int> Defines { get; }

    /// <summary>"const int32_t *" -> "int32_t*": const dropped, pointer stars attached.</summary>
    public static string Normalize(string type) =>
        Spaces().Replace(
            type.Replace("const ", " ", StringComparison.Ordinal).Replace("*", " * ", StringComparison.Ordinal), " ")
            .Trim()
            .Replace(" *", "*", StringComparison.Ordinal);

    private static CParameter[] ParseParameters(string list)
    {
        list = list.Trim();
        if (list == "void") return [];
        return list.Split(',').Select(p =>
        {
            var m = Parameter().Match(p.Trim());
            if (!m.Success) throw new FormatException($"k2native.h: cannot read parameter '{p.Trim()}'");
            return new CParameter(Normalize(m.Groups[1].Value), m.Groups[2].Value);
        }).ToArray();
    }

    private static CField[] ParseFields(string body) =>
        body.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(f =>
        {
            var m = Field().Match(f);
            if (!m.Success) throw new FormatException($"k2native.h: cannot read field '{f}'");
            return new CField(
                Normalize(m.Groups[1].Value), m.Groups[2].Value, m.Groups[3].Success
                    ? int.Parse(m.Groups[3].Value)
                    : 0);
        }).ToArray();

    private static Dictionary<string, int> ParseEnum(string body) =>
        body.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(
            e => e.Split('=', StringSplitOptions.TrimEntries))
            .ToDictionary(p => p[0], p => int.Parse(p[1]));

    [GeneratedRegex(@"/\*.*?\*/", RegexOptions.Singleline)]
    private static partial Regex Comments();

    [GeneratedRegex(@"K2_API\s+([\w\s\*]+?)\s*\b(k2_\w+)\s*\(([^)]*)\)\s*;")]
    private static partial Regex Declarations();

    [GeneratedRegex(@"typedef\s+struct\s+(k2_\w+)\s*\{([^}]*)\}\s*\1\s*;")]
    private static partial Regex StructBodies();

    [GeneratedRegex(@"typedef\s+enum\s+(k2_\w+)\s*\{([^}]*)\}\s*\1\s*;")]
    private static partial Regex EnumBodies();

    [GeneratedRegex(@"#define\s+(K2_\w+)\s+(\d+)\s")]
    private static partial Regex IntDefines();

    [GeneratedRegex(@"^((?:const\s+)?\w+(?:\s+const)?(?:\s*\*+\s*(?:const\s*)?)*)\s*\b(\w+)$")]
    private static partial Regex Parameter();

    [GeneratedRegex(@"^((?:const\s+)?\w+(?:\s*\*+)?)\s*\b(\w+)(?:\[(\d+)\])?$")]
    private static partial Regex Field();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();
}

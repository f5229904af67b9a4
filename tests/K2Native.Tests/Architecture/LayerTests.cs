// The library's dependency rule (docs/architecture.md): a namespace imports only its own layer or lower ones.
// The check reads the sources of src/K2Native (using directives, using static, aliases and fully qualified
// K2Native.X names in code, comments and strings removed), so it also sees imports the compiler would let pass.
using System.Text.RegularExpressions;
using K2Native.Tests.Support;

namespace K2Native.Tests.Architecture;

public sealed class LayerTests
{
    [Fact]
    public void EveryNamespace_ImportsOnlyItsOwnLayerOrLowerOnes()
    {
        string root = Path.Combine(SharedFixtures.RepositoryRoot, "src", "K2Native");
        var files = Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories)
            .Where(f => !IsBuildOutput(Path.GetRelativePath(root, f)))
            .ToList();
        Assert.True(files.Count > 100, $"found only {files.Count} source files under {root}");

        var problems = files
            .SelectMany(f => LayerRule.Check(Path.GetRelativePath(root, f), File.ReadAllText(f)))
            .ToList();

        Assert.True(problems.Count == 0, "layer violations:\n" + string.Join("\n", problems));
    }

    [Fact]
    public void EveryLayer_HasSourceFiles()
    {
        // A layer table entry that no file uses is stale: the picture in docs/architecture.md would lie.
        string root = Path.Combine(SharedFixtures.RepositoryRoot, "src", "K2Native");
        var namespaces = Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories)
            .Where(f => !IsBuildOutput(Path.GetRelativePath(root, f)))
            .Select(f => LayerRule.DeclaredNamespace(File.ReadAllText(f)))
            .OfType<string>()
            .ToHashSet();
        foreach (var layer in LayerRule.Layers)
            Assert.True(
                namespaces.Any(n => LayerRule.LayerOf(n) == layer),
                $"no source file declares a namespace of layer {layer.Prefix}");
    }

    [Fact]
    public void AnUpwardUsing_IsReported()
    {
        const string source = "using K2Native.Numerics;\nusing K2Native.Runtime;\n\nnamespace "
            + "K2Native.Checkpoint;\n\nclass C { }\n";
        var problems = LayerRule.Check("Checkpoint/C.cs", source);
        var problem = Assert.Single(problems);
        Assert.Contains("K2Native.Checkpoint", problem);
        Assert.Contains("K2Native.Runtime", problem);
    }

    [Fact]
    public void AnUpwardFullyQualifiedName_UsingStatic_OrAlias_IsReported()
    {
        const string source = """
            using static K2Native.Applications.Synth.SynthPreset;
            using Engine = K2Native.Runtime.Engine;
            namespace K2Native.Model;
            class C { K2Native.Text.Tokenizer? t; }
            """;
        var problems = LayerRule.Check("Model/C.cs", source);
        Assert.Equal(3, problems.Count);
    }

    [Fact]
    public void ASiblingOfTheSameRank_IsReported()
    {
        const string source = "namespace K2Native.Backends.Cpu;\nclass C { K2Native.Backends.Cuda.CudaBackend? b; }\n";
        Assert.Single(LayerRule.Check("Backends/Cpu/C.cs", source));
    }

    [Fact]
    public void NamesInCommentsAndStrings_AreNotImports()
    {
        const string source = """
            // Used by K2Native.Runtime.Engine.
            namespace K2Native.Checkpoint;
            /// <summary>See K2Native.Serving.</summary>
            class C { string s = "K2Native.Runtime.Engine"; string v = @"K2Native.Text"; }
            """;
        Assert.Empty(LayerRule.Check("Checkpoint/C.cs", source));
    }

    [Fact]
    public void DownwardAndOwnLayerImports_AreAllowed()
    {
        const string source = "using K2Native.Numerics;\nusing K2Native.Backends;\nnamespace "
            + "K2Native.Backends.Cuda;\nclass C { K2Native.Backends.Cuda.Native.K2Status s; }\n";
        Assert.Empty(LayerRule.Check("Backends/Cuda/C.cs", source));
    }

    [Fact]
    public void ANamespaceOutsideTheTable_IsReported()
    {
        var problem = Assert.Single(LayerRule.Check("Gadgets/C.cs", "namespace K2Native.Gadgets;\nclass C { }\n"));
        Assert.Contains("no layer", problem);
    }

    private static bool IsBuildOutput(string relative) =>
        relative.StartsWith("obj" + Path.DirectorySeparatorChar, StringComparison.Ordinal)
        || relative.StartsWith("bin" + Path.DirectorySeparatorChar, StringComparison.Ordinal);
}

/// <summary>The layer table and the check against one source file.</summary>
internal static partial class LayerRule
{
    /// <summary>One layer: the namespaces under Prefix, at Rank (imports go to a strictly lower rank or the same
    /// layer).</summary>
    internal sealed record Layer(string Prefix, int Rank);

    /// <summary>Lowest first. Same-rank entries are siblings and may not import each other.</summary>
    public static readonly Layer[] Layers =
    [
        new("K2Native.Numerics", 0),
        new("K2Native.Checkpoint", 1),
        new("K2Native.Backends", 2),
        new("K2Native.Backends.Cuda.Native", 3),
        new("K2Native.Backends.Cpu", 4),
        new("K2Native.Backends.Cuda", 4),
        new("K2Native.Backends.Verification", 5),
        new("K2Native.Model", 6),
        new("K2Native.Text", 7),
        new("K2Native.Runtime", 8),
        new("K2Native.Serving", 9),
        new("K2Native.Applications.Tools", 10),
        new("K2Native.Applications.Synth", 10),
        new("K2Native.Applications.Eval", 11),
    ];

    /// <summary>The layer whose prefix is the longest one <paramref name="ns"/> starts with.</summary>
    public static Layer? LayerOf(string ns) => Layers
        .Where(l => ns == l.Prefix || ns.StartsWith(l.Prefix + ".", StringComparison.Ordinal))
        .MaxBy(l => l.Prefix.Length);

    public static string? DeclaredNamespace(string source)
    {
        var m = NamespaceDeclaration().Match(StripCommentsAndStrings(source));
        return m.Success ? m.Groups[1].Value : null;
    }

    /// <summary>One line per import of <paramref name="source"/> that points above its own layer.</summary>
    public static List<string> Check(string file, string source)
    {
        var code = StripCommentsAndStrings(source);
        var problems = new List<string>();
        var declared = NamespaceDeclaration().Match(code);
        if (!declared.Success) return problems;
        string ns = declared.Groups[1].Value;
        var own = LayerOf(ns);
        if (own is null)
        {
            problems.Add(
                $"{file}: namespace {ns} belongs to no layer (add it to LayerRule.Layers and docs/architecture.md)");
            return problems;
        }
        foreach (Match m in QualifiedName().Matches(code))
        {
            string target = m.Value;
            var layer = LayerOf(target);
            if (layer is null || layer == own || layer.Rank < own.Rank) continue;
            problems.Add($"{file}: {ns} (rank {own.Rank}) imports {target} ({layer.Prefix}, rank {layer.Rank})");
        }
        return problems.Distinct().ToList();
    }

    /// <summary>The code with // and /* */ comments and string/char literals blanked (verbatim, raw and interpolated
    /// strings included; interpolation holes are blanked with them, which only hides names, never invents
    /// one).</summary>
    internal static string StripCommentsAndStrings(string source) => CommentOrString().Replace(source, " ");

    [GeneratedRegex(@"^\s*namespace\s+([\w.]+)", RegexOptions.Multiline)]
    private static partial Regex NamespaceDeclaration();

    [GeneratedRegex(@"(?<![\w.])K2Native(\.[A-Z]\w*)+")]
    private static partial Regex QualifiedName();

    [GeneratedRegex(@"//[^\n]*|/\*.*?\*/|""""""[\s\S]*?""""""|@""(?:[^""]|"""")*""|\$?""(?:[^""\\\n]|\\.)*""|'(?:[^'\\\n]|\\.)'", RegexOptions.Singleline)]
    private static partial Regex CommentOrString();
}

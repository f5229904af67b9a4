// Finds ../shared (fixtures from Hugging Face transformers and tiktoken) beside the repository.
// Tests that need it use [SharedFact] / [SharedTheory], which skip with a message when it is absent.
namespace K2Native.Tests.Support;

internal static class SharedFixtures
{
    /// <summary>The repository root (the directory holding K2Native.sln).</summary>
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>../shared beside the repository, or null on a fresh clone without it.</summary>
    public static string? Directory { get; } = FindShared();

    public static string SkipReason => $"../shared is not present beside {RepositoryRoot}: fixture tests need the "
        + "shared reference folder";

    /// <summary>A path under ../shared (call only from tests that are not skipped).</summary>
    public static string Path(params string[] parts) =>
        System.IO.Path.Combine([Directory ?? throw new InvalidOperationException(SkipReason), .. parts]);

    public static string TinyK2 => Path("fixtures", "tiny-k2");

    public static string TinyK2Fp8 => Path("fixtures", "tiny-k2-fp8");

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "K2Native.sln"))) return dir.FullName;
        throw new InvalidOperationException($"K2Native.sln not found above {AppContext.BaseDirectory}");
    }

    private static string? FindShared()
    {
        string candidate = System.IO.Path.GetFullPath(System.IO.Path.Combine(RepositoryRoot, "..", "shared"));
        return System.IO.Directory.Exists(System.IO.Path.Combine(candidate, "fixtures")) ? candidate : null;
    }
}

/// <summary>A fact that needs ../shared; skipped with a message when it is absent.</summary>
public sealed class SharedFactAttribute : FactAttribute
{
    public SharedFactAttribute()
    {
        if (SharedFixtures.Directory is null) Skip = SharedFixtures.SkipReason;
    }
}

/// <summary>A theory that needs ../shared; skipped with a message when it is absent.</summary>
public sealed class SharedTheoryAttribute : TheoryAttribute
{
    public SharedTheoryAttribute()
    {
        if (SharedFixtures.Directory is null) Skip = SharedFixtures.SkipReason;
    }
}

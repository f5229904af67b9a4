// Where the bundled default checkpoint lives: copied next to the executable (and into the tool package) from the
// repository's models/; which one is K2Bench.csproj's K2BundledModel property.
using System.Reflection;

namespace K2Bench;

internal static class ModelPaths
{
    /// <summary>Name of the bundled checkpoint under models/.</summary>
    public static string BundledName { get; } = typeof(ModelPaths).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "K2BundledModel").Value!;

    /// <summary>The bundled checkpoint's directory.</summary>
    public static string Bundled => Path.Combine(AppContext.BaseDirectory, "models", BundledName);

    /// <summary>The directory given, or the bundled checkpoint when none was; a file or a missing folder is
    /// refused.</summary>
    public static string Resolve(string? model)
    {
        if (string.IsNullOrWhiteSpace(model)) return Bundled;
        if (File.Exists(model))
            throw new ArgumentException(
                $"--model {model} is a file; give the checkpoint's directory (the folder with config.json), such as "
                + $"--model {Path.GetDirectoryName(Path.GetFullPath(model))}");
        if (!Directory.Exists(model)) throw new ArgumentException($"--model {model}: no such directory");
        return model;
    }
}

// Where the bundled default checkpoint lives: copied next to the executable from the repository's models/.
namespace K2Bench;

internal static class ModelPaths
{
    /// <summary>Name of the bundled checkpoint under models/.</summary>
    public const string BundledName = "tiny-random";

    /// <summary>The bundled checkpoint's directory.</summary>
    public static string Bundled => Path.Combine(AppContext.BaseDirectory, "models", BundledName);

    /// <summary>The directory given, or the bundled checkpoint when none was.</summary>
    public static string Resolve(string? model) => string.IsNullOrWhiteSpace(model) ? Bundled : model;
}

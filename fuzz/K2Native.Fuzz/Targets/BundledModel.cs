// Where the bundled checkpoint (models/tiny-random) is: K2_FUZZ_MODEL, else found by walking up from the program.
namespace K2Native.Fuzz;

internal static class BundledModel
{
    public static string Directory
    {
        get
        {
            if (Environment.GetEnvironmentVariable("K2_FUZZ_MODEL") is { Length: > 0 } given) return given;
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "models", "tiny-random");
                if (System.IO.Directory.Exists(candidate)) return candidate;
            }
            throw new DirectoryNotFoundException("models/tiny-random not found above the program; set K2_FUZZ_MODEL");
        }
    }
}

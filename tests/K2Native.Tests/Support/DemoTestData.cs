// Where the demo model's shared test data lives (tools/demo-model/): demo_tools.json, and under testdata/ the task
// files (tasks*.jsonl: the hand-written one, and the Python generator's sample when present) and tool cases
// (tool-cases*.jsonl: {"name", "arguments", "result"} lines from the Python side). Tests enumerate whatever is there.
using K2Native.Applications.Tools.Demo;

namespace K2Native.Tests.Support;

internal static class DemoTestData
{
    public static string ModelDirectory => Path.Combine(SharedFixtures.RepositoryRoot, "tools", "demo-model");

    public static string ToolsFile => Path.Combine(ModelDirectory, DemoToolSet.FileName);

    public static string TestDataDirectory => Path.Combine(ModelDirectory, "testdata");

    public static string BundledModel => Path.Combine(SharedFixtures.RepositoryRoot, "models", "tiny-random");

    public static DemoToolSet Load() => DemoToolSet.Load(ToolsFile);

    /// <summary>Files of testdata/ matching a pattern, by name.</summary>
    public static string[] Files(string pattern) =>
        Directory.Exists(TestDataDirectory)
            ? Directory.GetFiles(TestDataDirectory, pattern).Select(f => Path.GetFileName(f)).Order(
                StringComparer.Ordinal).ToArray()
            : [];
}

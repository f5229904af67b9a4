// A demo checkpoint for console tests: the bundled random-weight model copied to a scratch directory with
// tools/demo-model/demo_tools.json beside it (what the Python exporter adds), and optionally an eval.jsonl.
using K2Native.Applications.Tools.Demo;
using K2Native.Tests.Support;

namespace K2Native.Tests.Console;

internal sealed class DemoCheckpoint : IDisposable
{
    private readonly TempDirectory _dir = new();

    public DemoCheckpoint()
    {
        Directory.CreateDirectory(Path);
        foreach (string file in Directory.GetFiles(DemoTestData.BundledModel))
            System.IO.File.Copy(file, System.IO.Path.Combine(Path, System.IO.Path.GetFileName(file)));
        System.IO.File.Copy(DemoTestData.ToolsFile, System.IO.Path.Combine(Path, DemoToolSet.FileName));
    }

    public string Path => _dir.File("checkpoint");

    public string File(string name) => _dir.File(name);

    public void Dispose() => _dir.Dispose();
}

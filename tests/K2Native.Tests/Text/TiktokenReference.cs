// Runs tiktoken itself (tests/tiktoken-diff: its Rust core as WebAssembly under node) as the reference for
// differential tests. Tests using it are [TiktokenFact]: skipped with a message when tests/tiktoken-diff has
// not been installed (`npm ci` there), unless K2_REQUIRE_TIKTOKEN=1, which CI sets so that they must run.
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using K2Native.Tests.Support;

namespace K2Native.Tests.Text;

internal static class TiktokenReference
{
    public static string HarnessDirectory => Path.Combine(SharedFixtures.RepositoryRoot, "tests", "tiktoken-diff");

    public static bool Required => Environment.GetEnvironmentVariable("K2_REQUIRE_TIKTOKEN") == "1";

    public static bool Installed => Directory.Exists(Path.Combine(HarnessDirectory, "node_modules", "tiktoken"));

    public static string SkipReason => $"tiktoken is not installed: {InstallHint} (K2_REQUIRE_TIKTOKEN=1 makes this a "
        + "failure)";

    private static string InstallHint => $"run `npm ci` in {HarnessDirectory}";

    /// <summary>tiktoken's ids for each text with the vocabulary in <paramref name="checkpointDirectory"/>.</summary>
    public static int[][] Encode(string checkpointDirectory, IReadOnlyList<string> texts, bool allowSpecial = true)
    {
        using var scratch = new TempDirectory();
        string input = scratch.File("texts.json"), output = scratch.File("ids.json");
        File.WriteAllText(input, JsonArrayOfStrings(texts));
        Node("encode.js", checkpointDirectory, input, output, allowSpecial ? "--all" : "--ordinary");
        using var document = JsonDocument.Parse(File.ReadAllBytes(output));
        var result = document.RootElement.EnumerateArray().Select(
            a => a.EnumerateArray().Select(e => e.GetInt32()).ToArray()).ToArray();
        if (result.Length != texts.Count)
            throw new InvalidOperationException($"tiktoken returned {result.Length} results for {texts.Count} texts");
        return result;
    }

    /// <summary>For each class name of classes.js, the inclusive code point ranges tiktoken's regex puts in
    /// it.</summary>
    public static Dictionary<string, (int First, int Last)[]> Classes()
    {
        string json = Node("classes.js");
        using var document = JsonDocument.Parse(json);
        return document.RootElement.EnumerateObject().ToDictionary(
            p => p.Name,
            p => p.Value.EnumerateArray().Select(r => (r[0].GetInt32(), r[1].GetInt32())).ToArray());
    }

    /// <summary>A JSON array of strings with every non-ASCII UTF-16 unit escaped, so lone surrogates survive.</summary>
    public static string JsonArrayOfStrings(IEnumerable<string> texts)
    {
        var json = new StringBuilder("[");
        bool first = true;
        foreach (var text in texts)
        {
            if (!first) json.Append(',');
            first = false;
            json.Append('"');
            foreach (char c in text)
            {
                if (c is '"' or '\\') json.Append('\\').Append(c);
                else if (c is >= ' ' and < (char)0x7F) json.Append(c);
                else
                    json.Append("\\u").Append(
                        ((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
            }
            json.Append('"');
        }
        return json.Append(']').ToString();
    }

    private static string Node(string script, params string[] arguments)
    {
        if (!Installed)
            throw new InvalidOperationException($"K2_REQUIRE_TIKTOKEN=1 but tiktoken is not installed: {InstallHint}");
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = HarnessDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(HarnessDirectory, script));
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        Process process;
        try { process = Process.Start(start) ?? throw new InvalidOperationException("could not start node"); }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"could not start node (is Node.js on PATH?): {e.Message}", e);
        }
        using var started = process;
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"node {script} exited with {process.ExitCode}: {stderr.Result}");
        return stdout;
    }
}

/// <summary>A fact that needs tiktoken under node (and ../shared when <c>needsShared</c>); see
/// TiktokenReference.</summary>
public sealed class TiktokenFactAttribute : FactAttribute
{
    public TiktokenFactAttribute(bool needsShared = false)
    {
        if (!TiktokenReference.Installed && !TiktokenReference.Required) Skip = TiktokenReference.SkipReason;
        else if (needsShared && SharedFixtures.Directory is null) Skip = SharedFixtures.SkipReason;
    }
}

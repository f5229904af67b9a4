// Runs the `k2` console (k2.dll, built beside the tests) as a separate process, the way a user does:
// arguments, optional piped stdin, captured stdout/stderr and exit code.
using System.Diagnostics;
using System.Text;

namespace K2Native.Tests.Support;

internal static class K2Cli
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    /// <summary>
    /// models/tiny-random: the random-weight checkpoint whose geometry (KV bytes per token, tools, prompts) the
    /// console tests were written against; the bundled default is the demo model.
    /// </summary>
    public static string RandomModel { get; } = Path.Combine(SharedFixtures.RepositoryRoot, "models", "tiny-random");

    public static Result Run(string? stdin, params string[] args)
    {
        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        var info = new ProcessStartInfo(dotnet)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            StandardInputEncoding = new UTF8Encoding(false),
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "k2.dll"));
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null) process.StandardInput.Write(stdin);
        process.StandardInput.Close();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"k2 {string.Join(' ', args)} did not finish in 5 minutes");
        }
        return new Result(process.ExitCode, stdout.Result, stderr.Result);
    }
}

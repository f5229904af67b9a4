// `k2 check`: everything that can be wrong with a checkpoint before running it. The loader's own checks (headers,
// config.json, shapes and dtypes against the config) run first, then every tensor is read once and each one holding
// NaN or ±Inf values or zero/negative scales is named (Checkpoint/TensorScan.cs), with progress on stderr.
// Exit status 0 when nothing is wrong, 1 when something is.
using System.Diagnostics;
using CommandLine;
using K2Native.Checkpoint;

namespace K2Bench.Verbs;

[Verb("check", HelpText = "Validate a checkpoint: headers, config.json and shapes, then every tensor's values "
    + "(NaN/Inf, zero or negative scales). Exit 1 on any problem.")]
internal sealed class CheckCommand : ICommand
{
    [Option("model", HelpText = "Checkpoint directory (default: the bundled checkpoint).")]
    public string? Model { get; set; }

    [Option("quiet", HelpText = "No progress on stderr.")]
    public bool Quiet { get; set; }

    public int Run()
    {
        string directory = ModelPaths.Resolve(Model);
        int problems = 0;
        try
        {
            using var checkpoint = K2Checkpoint.Open(directory);
            Console.Out.WriteLine(
                $"structure: ok ({checkpoint.Tensors.Count} tensors in {checkpoint.Tensors.Files.Count} files match "
                + "config.json)");
            foreach (var warning in checkpoint.Warnings) Console.Out.WriteLine($"warning: {warning}");
        }
        catch (CheckpointException e)
        {
            Console.Out.WriteLine($"structure: {e.Message}");
            problems++;
        }

        using var tensors = SafetensorsCheckpoint.Open(directory);
        var clock = Stopwatch.StartNew();
        long lastReport = 0;
        var found = TensorScan.Run(tensors, (done, total) =>
        {
            if (Quiet || (clock.ElapsedMilliseconds - lastReport < 1000 && done < total)) return;
            lastReport = clock.ElapsedMilliseconds;
            Console.Error.Write(
                $"\rchecked {done / 1e9:F2} of {total / 1e9:F2} GB "
                + $"({(total == 0 ? 100 : 100.0 * done / total):F0}%)   ");
        });
        if (!Quiet) Console.Error.WriteLine();
        foreach (var problem in found) Console.Out.WriteLine($"values: {problem}");
        problems += found.Count;
        Console.Out.WriteLine(problems == 0
            ? $"values: ok ({tensors.Count} tensors, no NaN or Inf, every scale positive)"
            : $"{problems} problem{(problems == 1 ? "" : "s")} found");
        return problems == 0 ? 0 : 1;
    }
}

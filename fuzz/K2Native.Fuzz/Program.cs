// k2fuzz: one fuzz target per parser of K2Native (fuzz/README.md lists them and the properties each checks).
//   k2fuzz TARGET                 under afl-fuzz (after `sharpfuzz` has instrumented K2Native.dll): the AFL fork
//                                 server of SharpFuzz feeds inputs; a property violation is an uncaught exception,
//                                 which afl-fuzz records as a crash
//   k2fuzz TARGET replay PATH...  runs every file (or every file of every folder) once, without AFL; exit 1 and the
//                                 file named when one breaks a property or takes longer than the time bound
//   k2fuzz list                   the targets
using System.Diagnostics;
using K2Native.Fuzz;
using SharpFuzz;

TraceBuffer.Install();
if (args.Length == 1 && args[0] == "list")
{
    foreach (var t in FuzzTargets.All) Console.WriteLine($"{t.Name,-20} {t.Properties}");
    return 0;
}
if (args.Length < 1 || FuzzTargets.Find(args[0]) is not { } target)
{
    Console.Error.WriteLine(
        "usage: k2fuzz TARGET [replay PATH...] | k2fuzz list   (targets: "
        + $"{string.Join(", ", FuzzTargets.All.Select(t => t.Name))})");
    return 2;
}
if (args.Length >= 2 && args[1] == "replay")
{
    var files = args[2..].SelectMany<string, string>(
        p => Directory.Exists(p)
            ? Directory.GetFiles(p, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            : [p]).ToList();
    int refused = 0;
    bool verbose = Environment.GetEnvironmentVariable("K2_FUZZ_VERBOSE") == "1";
    foreach (var file in files)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            var refusal = target.Run(File.ReadAllBytes(file));
            if (refusal is not null) refused++;
            if (verbose) Console.WriteLine($"{file}: {(refusal is null ? "accepted" : "refused: " + refusal.Message)}");
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"k2fuzz {target.Name}: {file}: {e}");
            return 1;
        }
        if (clock.Elapsed > FuzzTargets.TimeBound)
        {
            // The first inputs also pay for JIT compilation and a loaded machine may stall one run: time it again.
            clock.Restart();
            target.Run(File.ReadAllBytes(file));
        }
        if (clock.Elapsed > FuzzTargets.TimeBound)
        {
            Console.Error.WriteLine(
                $"k2fuzz {target.Name}: {file}: took {clock.Elapsed.TotalSeconds:F1} s, over the "
                + $"{FuzzTargets.TimeBound.TotalSeconds} s bound");
            return 1;
        }
    }
    Console.WriteLine(
        $"k2fuzz {target.Name}: {files.Count} inputs replayed ({files.Count - refused} accepted, {refused} refused "
        + "with a typed error), every property held");
    return 0;
}
target.Prepare();
Fuzzer.Run(stream =>
{
    using var buffer = new MemoryStream();
    stream.CopyTo(buffer);
    target.Run(buffer.ToArray());
});
return 0;

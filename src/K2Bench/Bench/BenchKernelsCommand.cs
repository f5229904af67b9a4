// `k2 bench kernels`: each CPU kernel at K2 Thinking's shapes (Kernels/KernelBenches.cs) against the read
// bandwidth ceiling measured in the same run. A row takes `--repeat` samples; a sample calls the kernel once
// on each of its distinct weight copies (together >= --rotate-mb, far beyond the L3 cache), and every sample
// is preceded by one pass of the streaming-read ceiling, because on a shared host the bandwidth on offer
// drifts within minutes. A row's ceiling is the best of its passes and its kernel time the best of its
// samples (fraction_of_ceiling); the median of the per-sample ratios is reported too.
// Example: k2 bench kernels --backend cpu --repeat 10 --json docs/perf/cpu.json
using System.Diagnostics;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using CommandLine;
using K2Bench.Bench.Kernels;
using K2Native.Backends.Cpu;

namespace K2Bench.Bench;

[Verb("kernels", HelpText = "Time the CPU kernels at K2 Thinking's shapes against the read-bandwidth ceiling measured "
    + "in the same run (--backend cuda: the same rows on the GPU).")]
internal sealed class BenchKernelsCommand : IBenchCommand
{
    [Option("backend", Default = "cpu", HelpText = "Compute backend: cpu, or cuda (needs libk2native and an NVIDIA "
        + "GPU).")]
    public string Backend { get; set; } = "cpu";

    [Option("json", HelpText = "Also write the rows as a JSON array to this file.")]
    public string? Json { get; set; }

    [Option("repeat", Default = 10, HelpText = "Timed samples per row (best and median are reported).")]
    public int Repeat { get; set; } = 10;

    [Option("int4-activations", Default = CpuBackend.DefaultInt4Activations, HelpText = "Activations of INT4 products: "
        + "Int16 (default), Int8 or Float32.")]
    public Int4Activations Int4Activations { get; set; } = CpuBackend.DefaultInt4Activations;

    [Option("rotate-mb", Default = 512, HelpText = "Distinct weight memory each row cycles through, MB (0: one copy; "
        + "L3 here: see lscpu).")]
    public int RotateMb { get; set; } = 512;

    [Option("ceiling-mb", Default = 1024, HelpText = "Buffer the read ceiling streams through, MB.")]
    public int CeilingMb { get; set; } = 1024;

    [Option("filter", HelpText = "Only rows whose name or shape contains this text (e.g. int4, \"T=1\").")]
    public string? Filter { get; set; }

    public int Run()
    {
        if (Repeat < 1) throw new ArgumentException("--repeat must be at least 1");
        if (string.Equals(Backend, "cuda", StringComparison.OrdinalIgnoreCase)) return RunCuda();
        if (!string.Equals(Backend, "cpu", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"--backend '{Backend}': unknown backend (known: cpu, cuda)");
        using var backend = new CpuBackend(Simd.Best, Int4Activations);
        using var ceiling = new ReadCeiling((long)CeilingMb << 20);
        string machine = MachineInfo.Describe();
        string isa = $"{backend.Isa}, INT4 x {Int4Activations switch
            {
                Int4Activations.Int8 => "int8",
                Int4Activations.Int16 => "int16 (two int8 planes)",
                _ => "float32"
            }}"
                     + (Int4Activations != Int4Activations.Float32 && backend.Isa == "Vector512" ? " via AVX-512BW "
                         + "vpmaddubsw/vpmaddwd + GFNI" : "")
                     + (backend.Isa == "Vector512" ? $", {Fp8Decode.Describe(Fp8Decode.Best)}" : "");
        string date = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        string loadBefore = MachineInfo.LoadAverage();
        Console.WriteLine($"machine  {machine}");
        Console.WriteLine($"backend  cpu, {backend.Threads} threads, {isa}");
        double mathCeiling = MathCeiling.Measure();
        Console.WriteLine(
            $"ceiling  streaming read of {CeilingMb} MB over {backend.Threads} threads, one pass before each sample; "
            + $"load average {loadBefore}");
        Console.WriteLine($"math     {mathCeiling:F1} GFLOP/s float32 FMA on registers over {backend.Threads} threads");
        Console.WriteLine();
        Console.WriteLine(
            $"{"kernel",-22} {"shape",-60} {"best us",9} {"median us",9} {"GB/s",6} {"GFLOP/s",7} {"ceiling",7} "
            + $"{"fraction",8} {"median",6} {"of math",7}");

        bool lmHead = MachineInfo.AvailableBytes() > 3 * KernelBenches.LmHeadBytes;
        var rows = new List<Dictionary<string, object>>();
        foreach (var factory in KernelBenches.All((long)RotateMb << 20, lmHead))
        {
            using var bench = factory();
            if (Filter is not null && !$"{bench.Name} {bench.Shape}".Contains(Filter, StringComparison.Ordinal))
                continue;
            bench.Prepare(backend);
            var (seconds, ceilings) = Time(bench, ceiling);
            double best = seconds.Min(), median = Median(seconds), rowCeiling = ceilings.Max();
            double gbps = bench.BytesPerCall / best / 1e9;
            double fraction = bench.BytesPerCall > 0 ? gbps / rowCeiling : 0;
            double medianFraction = bench.BytesPerCall > 0
                ? Median(seconds.Select((s, i) => bench.BytesPerCall / s / 1e9 / ceilings[i]).ToArray())
                : 0;
            Console.WriteLine(
                $"{bench.Name,-22} {bench.Shape,-60} {best * 1e6,9:F1} {median * 1e6,9:F1} {gbps,6:F1} "
                + $"{bench.FlopsPerCall / best / 1e9,7:F1} {rowCeiling,7:F1} {Percent(fraction),8} "
                + $"{Percent(medianFraction),6} {Percent(bench.FlopsPerCall / best / 1e9 / mathCeiling),7}");
            rows.Add(new Dictionary<string, object>
            {
                ["name"] = bench.Name,
                ["shape"] = bench.Shape,
                ["backend"] = "cpu",
                ["seconds"] = best,
                ["seconds_median"] = median,
                ["bytes"] = bench.BytesPerCall,
                ["flops"] = bench.FlopsPerCall,
                ["gbps"] = gbps,
                ["gflops"] = bench.FlopsPerCall / best / 1e9,
                ["ceiling_gbps"] = rowCeiling,
                ["fraction_of_ceiling"] = fraction,
                ["fraction_of_ceiling_median"] = medianFraction,
                ["math_ceiling_gflops"] = mathCeiling,
                ["fraction_of_math_ceiling"] = bench.FlopsPerCall / best / 1e9 / mathCeiling,
                ["ceiling_gbps_samples"] = ceilings,
                ["seconds_samples"] = seconds,
                ["samples"] = Repeat,
                ["calls_per_sample"] = bench.CallsPerSample,
                ["threads"] = backend.Threads,
                ["isa"] = isa,
                ["int4_activations"] = Int4Activations.ToString(),
                ["date"] = date,
                ["machine"] = machine,
                ["load_average_before"] = loadBefore,
            });
        }
        if (!lmHead) Console.WriteLine("(lm_head row skipped: not enough free memory for a 2.3 GB matrix)");
        Console.WriteLine($"load average after: {MachineInfo.LoadAverage()}");
        WriteJson(rows);
        return 0;
    }

    private int RunCuda()
    {
        using var backend = BackendFactory.CreateCuda();
        WriteJson(CudaKernelRows.Run(backend, (long)RotateMb << 20, Repeat, Filter));
        return 0;
    }

    private void WriteJson(List<Dictionary<string, object>> rows)
    {
        if (Json is null) return;
        var options = new JsonSerializerOptions
        {
            WriteIndented = true,
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping
        };
        File.WriteAllText(Json, JsonSerializer.Serialize(rows, options) + "\n");
        Console.WriteLine($"wrote {Json}");
    }

    private static string Percent(double fraction) => fraction > 0
        ? fraction.ToString("P0", CultureInfo.InvariantCulture)
        : "-";

    private static double Median(double[] values) => values.Order().ElementAt(values.Length / 2);

    /// <summary>Seconds per call of each sample and the ceiling pass just before it, after one untimed warm-up
    /// sample.</summary>
    private (double[] Seconds, double[] Ceilings) Time(IKernelBench bench, ReadCeiling ceiling)
    {
        for (int i = 0; i < bench.CallsPerSample; i++) bench.Call(i);
        var seconds = new double[Repeat];
        var ceilings = new double[Repeat];
        for (int s = 0; s < Repeat; s++)
        {
            ceilings[s] = ceiling.Pass();
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < bench.CallsPerSample; i++) bench.Call(i);
            seconds[s] = Stopwatch.GetElapsedTime(start).TotalSeconds / bench.CallsPerSample;
        }
        return (seconds, ceilings);
    }
}

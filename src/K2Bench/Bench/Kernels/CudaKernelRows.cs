// `k2 bench kernels --backend cuda`: the same rows as the CPU table (KernelBenches.All, less the CPU worker-pool
// dispatch row) through the CUDA backend. A sample queues one call per distinct weight copy and waits for the
// stream, so its time is the GPU's plus one synchronization; the best and median sample per row are reported, with
// the bandwidth and FLOP rate they imply (no ceiling is measured on the GPU: compare GB/s with the device's
// datasheet figure, e.g. 3.35 TB/s for an H100 SXM).
using System.Diagnostics;
using System.Globalization;
using K2Native.Backends.Cuda;

namespace K2Bench.Bench.Kernels;

internal static class CudaKernelRows
{
    /// <summary>Runs every row whose name or shape contains <paramref name="filter"/>; returns the JSON rows.</summary>
    public static List<Dictionary<string, object>> Run(
        CudaBackend backend, long rotationBytes, int repeat, string? filter)
    {
        string date = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        Console.WriteLine($"backend  cuda, {backend.Device}");
        Console.WriteLine();
        Console.WriteLine($"{"kernel",-22} {"shape",-60} {"best us",9} {"median us",9} {"GB/s",7} {"GFLOP/s",8}");
        var rows = new List<Dictionary<string, object>>();
        foreach (var factory in KernelBenches.All(rotationBytes, lmHead: true))
        {
            using var bench = factory();
            if (bench is DispatchBench) continue;
            if (filter is not null && !$"{bench.Name} {bench.Shape}".Contains(filter, StringComparison.Ordinal))
                continue;
            bench.Prepare(backend);
            var seconds = Time(backend, bench, repeat);
            double best = seconds.Min(), median = seconds.Order().ElementAt(seconds.Length / 2);
            double gbps = bench.BytesPerCall / best / 1e9, gflops = bench.FlopsPerCall / best / 1e9;
            Console.WriteLine(
                $"{bench.Name,-22} {bench.Shape,-60} {best * 1e6,9:F1} {median * 1e6,9:F1} {gbps,7:F1} {gflops,8:F1}");
            rows.Add(new Dictionary<string, object>
            {
                ["name"] = bench.Name,
                ["shape"] = bench.Shape,
                ["backend"] = "cuda",
                ["device"] = backend.Device,
                ["seconds"] = best,
                ["seconds_median"] = median,
                ["bytes"] = bench.BytesPerCall,
                ["flops"] = bench.FlopsPerCall,
                ["gbps"] = gbps,
                ["gflops"] = gflops,
                ["seconds_samples"] = seconds,
                ["samples"] = repeat,
                ["calls_per_sample"] = bench.CallsPerSample,
                ["date"] = date,
            });
        }
        return rows;
    }

    /// <summary>Seconds per call of each sample, after one untimed warm-up sample; each sample ends when the stream is
    /// idle.</summary>
    private static double[] Time(CudaBackend backend, IKernelBench bench, int repeat)
    {
        for (int i = 0; i < bench.CallsPerSample; i++) bench.Call(i);
        backend.Synchronize();
        var seconds = new double[repeat];
        for (int s = 0; s < repeat; s++)
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < bench.CallsPerSample; i++) bench.Call(i);
            backend.Synchronize();
            seconds[s] = Stopwatch.GetElapsedTime(start).TotalSeconds / bench.CallsPerSample;
        }
        return seconds;
    }
}

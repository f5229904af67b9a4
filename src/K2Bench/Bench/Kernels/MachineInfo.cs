// What `k2 bench kernels` records about the machine: CPU model, cores, caches, memory (Linux /proc and /sys;
// elsewhere the .NET runtime's view), the load average, and free memory.
using System.Globalization;
using System.Runtime.InteropServices;

namespace K2Bench.Bench.Kernels;

internal static class MachineInfo
{
    public static string Describe()
    {
        string cpu = ReadField("/proc/cpuinfo", "model name") ?? RuntimeInformation.ProcessArchitecture.ToString();
        string l3 = ReadText("/sys/devices/system/cpu/cpu0/cache/index3/size") is { } size ? $", L3 {size}" : "";
        long memory = ReadKilobytes("MemTotal") * 1024;
        string mem = memory > 0 ? $", {memory / (1L << 30)} GiB RAM" : "";
        return $"{cpu}, {Environment.ProcessorCount} logical cores{l3}{mem}, {RuntimeInformation.OSDescription}";
    }

    public static string LoadAverage() => ReadText("/proc/loadavg") is { } text
        ? string.Join(' ', text.Split(' ').Take(3))
        : "unknown";

    /// <summary>Free memory (MemAvailable), or a large number where it cannot be read.</summary>
    public static long AvailableBytes()
    {
        long kb = ReadKilobytes("MemAvailable");
        return kb > 0 ? kb * 1024 : long.MaxValue;
    }

    private static long ReadKilobytes(string field) =>
        ReadField("/proc/meminfo", field) is { } value
            && long.TryParse(value.Split(' ')[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out long kb)
                ? kb
                : 0;

    private static string? ReadField(string path, string field)
    {
        if (!File.Exists(path)) return null;
        foreach (var line in File.ReadLines(path))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && line[..colon].Trim() == field) return line[(colon + 1)..].Trim();
        }
        return null;
    }

    private static string? ReadText(string path) => File.Exists(path) ? File.ReadAllText(path).Trim() : null;
}

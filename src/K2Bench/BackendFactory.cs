// Maps the --backend option to a backend instance.
using K2Native.Backends;
using K2Native.Backends.Cpu;

namespace K2Bench;

internal static class BackendFactory
{
    public static Backend Create(string name) => name.ToLowerInvariant() switch
    {
        "cpu" => new CpuBackend(),
        "cuda" => throw new ArgumentException("--backend cuda: the CUDA backend is not part of this build yet; use --backend cpu"),
        _ => throw new ArgumentException($"--backend '{name}': unknown backend (known: cpu)"),
    };
}

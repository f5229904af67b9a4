// Maps the --backend option to a backend instance.
using K2Native.Backends;
using K2Native.Backends.Cpu;
using K2Native.Backends.Cuda;
using K2Native.Backends.Cuda.Native;

namespace K2Bench;

internal static class BackendFactory
{
    public static Backend Create(string name) => name.ToLowerInvariant() switch
    {
        "cpu" => new CpuBackend(),
        "cuda" => CreateCuda(),
        _ => throw new ArgumentException($"--backend '{name}': unknown backend (known: cpu, cuda)"),
    };

    /// <summary>The CUDA backend, or one message saying why it cannot run here (library missing, no GPU or driver).</summary>
    public static CudaBackend CreateCuda(int tensorCoreMinTokens = 0)
    {
        try
        {
            return new CudaBackend(0, tensorCoreMinTokens);
        }
        catch (Exception e) when (e is K2LibraryException or K2NativeException)
        {
            throw new InvalidOperationException($"--backend cuda: {e.Message}. The CPU backend (--backend cpu, the default) needs neither.", e);
        }
    }
}

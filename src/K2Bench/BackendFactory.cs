// Maps the --backend option to a backend instance.
using K2Native.Backends;
using K2Native.Backends.Cpu;
using K2Native.Backends.Cuda;
using K2Native.Backends.Cuda.Native;

namespace K2Bench;

internal static class BackendFactory
{
    /// <param name="int4Activations">The CPU backend's INT4 activations; Float32 is exact, the arithmetic the CUDA
    /// backend does.</param>
    /// <param name="graphs">CUDA backend: replay model steps from CUDA graphs.</param>
    public static Backend Create(
        string name, Int4Activations int4Activations = CpuBackend.DefaultInt4Activations, bool graphs = false) =>
        name.ToLowerInvariant() switch
    {
        "cpu" => new CpuBackend(Simd.Best, int4Activations),
        "cuda" => CreateCuda(0, graphs),
        _ => throw new UsageException($"--backend '{name}' is not one of: cpu, cuda"),
    };

    /// <summary>The CUDA backend, or one message saying why it cannot run here (library missing, no GPU or
    /// driver).</summary>
    public static CudaBackend CreateCuda(int tensorCoreMinTokens = 0, bool graphs = false)
    {
        try
        {
            return new CudaBackend(0, tensorCoreMinTokens, graphs);
        }
        catch (Exception e) when (e is K2LibraryException or K2NativeException)
        {
            throw new InvalidOperationException(
                $"--backend cuda: {e.Message}. The CPU backend (--backend cpu, the default) needs neither.", e);
        }
    }
}

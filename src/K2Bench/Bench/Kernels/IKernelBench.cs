// One row of `k2 bench kernels`: a kernel at one shape, calling it over enough distinct weight copies that
// the caches cannot hold them. To add a row (the absorbed-attention kernels, a CUDA kernel), implement this
// interface and add a factory to KernelBenches.All.
using K2Native.Backends;

namespace K2Bench.Bench.Kernels;

internal interface IKernelBench : IDisposable
{
    /// <summary>Row name, e.g. "int4-gemv-gate".</summary>
    string Name { get; }

    /// <summary>Shape in words, e.g. "[2048 x 7168] INT4 g32, T=1".</summary>
    string Shape { get; }

    /// <summary>Bytes one call must read from memory (weights, scales, activations) and write.</summary>
    long BytesPerCall { get; }

    /// <summary>Floating-point (or integer multiply-add) operations of one call, two per multiply-add.</summary>
    double FlopsPerCall { get; }

    /// <summary>Calls per timed sample: one pass over the distinct weight copies.</summary>
    int CallsPerSample { get; }

    /// <summary>Allocates weights and activations (not timed).</summary>
    void Prepare(Backend backend);

    /// <summary>Runs call <paramref name="index"/> (0..CallsPerSample-1), each on its own weight copy.</summary>
    void Call(int index);
}

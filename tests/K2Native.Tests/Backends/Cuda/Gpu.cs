// Whether libk2native and a CUDA GPU are here, for tests that need them: [LibraryFact] needs the built library
// (native/build or K2NATIVE_LIBRARY), [GpuFact]/[GpuTheory] a usable GPU too, [GpuSharedFact] also ../shared's
// fixtures, and [NoGpuFact] the library on a machine without a GPU; each skips with the reason otherwise.
using K2Native.Backends.Cuda.Native;
using K2Native.Tests.Support;

namespace K2Native.Tests.Backends.Cuda;

internal static class Gpu
{
    private static readonly Lazy<string?> LibraryProblem = new(() =>
    {
        try
        {
            K2Native.Backends.Cuda.Native.K2Library.EnsureLoaded();
            return null;
        }
        catch (K2LibraryException e)
        {
            return $"libk2native is not built here ({e.Message})";
        }
    });

    private static readonly Lazy<string?> GpuProblem = new(() =>
    {
        if (LibraryProblem.Value is { } problem) return problem;
        try
        {
            K2Native.Backends.Cuda.Native.K2Library.DeviceCount();
            return null;
        }
        catch (K2NativeException e)
        {
            return $"no usable CUDA GPU: {e.Message}";
        }
    });

    /// <summary>Null when the library loads.</summary>
    public static string? LibrarySkipReason => LibraryProblem.Value;

    /// <summary>Null when the library loads and sees a GPU.</summary>
    public static string? SkipReason => GpuProblem.Value;
}

/// <summary>A fact that needs libk2native built (not a GPU).</summary>
public sealed class LibraryFactAttribute : FactAttribute
{
    public LibraryFactAttribute()
    {
        if (Gpu.LibrarySkipReason is { } reason) Skip = reason;
    }
}

/// <summary>A fact that needs libk2native and a CUDA GPU.</summary>
public sealed class GpuFactAttribute : FactAttribute
{
    public GpuFactAttribute()
    {
        if (Gpu.SkipReason is { } reason) Skip = reason;
    }
}

/// <summary>A theory that needs libk2native and a CUDA GPU.</summary>
public sealed class GpuTheoryAttribute : TheoryAttribute
{
    public GpuTheoryAttribute()
    {
        if (Gpu.SkipReason is { } reason) Skip = reason;
    }
}

/// <summary>A fact that needs libk2native, a CUDA GPU and the shared fixtures.</summary>
public sealed class GpuSharedFactAttribute : FactAttribute
{
    public GpuSharedFactAttribute()
    {
        if (Gpu.SkipReason is { } reason) Skip = reason;
        else if (SharedFixtures.Directory is null) Skip = SharedFixtures.SkipReason;
    }
}

/// <summary>A fact about the library on a machine without a GPU (where there is one, CudaBackendTests cover
/// it).</summary>
public sealed class NoGpuFactAttribute : FactAttribute
{
    public NoGpuFactAttribute()
    {
        if (Gpu.LibrarySkipReason is { } reason) Skip = reason;
        else if (Gpu.SkipReason is null) Skip = "a CUDA GPU is present: CudaBackendTests cover the CUDA backend there";
    }
}

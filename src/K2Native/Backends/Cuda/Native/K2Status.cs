// The status codes of k2native.h as a C# enum (mirrored value for value; a test parses the header to hold them
// equal) and the typed exceptions ThrowIfFailed turns them into.
namespace K2Native.Backends.Cuda.Native;

/// <summary>k2_status of k2native.h.</summary>
public enum K2Status
{
    Ok = 0,
    InvalidArgument = 1,
    Unsupported = 2,
    NoDevice = 3,
    Driver = 4,
    OutOfMemory = 5,
    Workspace = 6,
    Cuda = 7,
    Internal = 8,
}

/// <summary>A failed call into libk2native: the status and the library's message.</summary>
public class K2NativeException(K2Status status, string message) : InvalidOperationException(message)
{
    public K2Status Status { get; } = status;
}

/// <summary>An argument the native library refused (a shape that does not fit, a NULL pointer).</summary>
public sealed class K2InvalidArgumentException(string message) : K2NativeException(K2Status.InvalidArgument, message);

/// <summary>A valid request outside the shape limits the kernels are built for.</summary>
public sealed class K2UnsupportedException(string message) : K2NativeException(K2Status.Unsupported, message);

/// <summary>No CUDA device, or the driver is missing or too old.</summary>
public sealed class K2NoGpuException(K2Status status, string message) : K2NativeException(status, message);

/// <summary>A device allocation failed.</summary>
public sealed class K2OutOfDeviceMemoryException(string message) : K2NativeException(K2Status.OutOfMemory, message);

/// <summary>Any other CUDA error, a workspace too small, or an internal failure.</summary>
public sealed class K2CudaException(K2Status status, string message) : K2NativeException(status, message);

/// <summary>libk2native cannot be found or loaded, or its ABI version differs from the bindings'.</summary>
public sealed class K2LibraryException(string message, Exception? inner = null) : InvalidOperationException(
    message, inner);

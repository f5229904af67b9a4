// The hand-written face of the generated bindings (Generated/, made by ClangSharp from native/include/k2native.h):
// loads libk2native through an explicit resolver, checks its ABI version once, and turns statuses into typed
// exceptions that carry the library's last-error message.
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using K2Native.Backends.Cuda.Native.Generated;

namespace K2Native.Backends.Cuda.Native;

/// <summary>Loading and error handling for libk2native.</summary>
public static unsafe class K2Library
{
    /// <summary>Environment variable naming the library file to load (overrides the search).</summary>
    public const string LibraryVariable = "K2NATIVE_LIBRARY";

    private const string LibraryName = "k2native";
    private static readonly Lazy<string> Loaded = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);
    private static nint _handle;

    /// <summary>Loads the library and checks its ABI version (once); returns the path it was loaded from.</summary>
    /// <exception cref="K2LibraryException">The library is missing, fails to load, or has another ABI
    /// version.</exception>
    public static string EnsureLoaded() => Loaded.Value;

    /// <summary>Throws the typed exception for a failed status, with the library's message, naming
    /// <paramref name="function"/>.</summary>
    public static void ThrowIfFailed(int status, string function)
    {
        if (status == (int)K2Status.Ok) return;
        string message = LastError();
        string text = message.Length > 0 ? message : $"{function} failed with status {status}";
        throw (K2Status)status switch
        {
            K2Status.InvalidArgument => new K2InvalidArgumentException(text),
            K2Status.Unsupported => new K2UnsupportedException(text),
            K2Status.NoDevice or K2Status.Driver => new K2NoGpuException((K2Status)status, text),
            K2Status.OutOfMemory => new K2OutOfDeviceMemoryException(text),
            K2Status.Workspace or K2Status.Cuda or K2Status.Internal => new K2CudaException((K2Status)status, text),
            _ => new K2CudaException(
                (K2Status)status, $"{function} returned status {status}, unknown to this build: {text}"),
        };
    }

    /// <summary>The calling thread's last native error message.</summary>
    public static string LastError()
    {
        nuint length = K2Api.k2_last_error(null, 0);
        var buffer = new byte[(int)length + 1];
        fixed (byte* p = buffer) K2Api.k2_last_error((sbyte*)p, (nuint)buffer.Length);
        return Encoding.UTF8.GetString(buffer, 0, (int)length);
    }

    /// <summary>Number of usable CUDA devices; throws K2NoGpuException (with the driver's reason) when there is
    /// none.</summary>
    public static int DeviceCount()
    {
        EnsureLoaded();
        int count;
        ThrowIfFailed(K2Api.k2_device_count(&count), "k2_device_count");
        return count;
    }

    /// <summary>The files tried, in order: $K2NATIVE_LIBRARY alone when set; else the app directory, then
    /// runtimes/RID/native below it (where a portable app that references the K2Native package keeps the packaged
    /// library), then native/build of every directory above it.</summary>
    public static IReadOnlyList<string> Candidates(string? variable, string baseDirectory)
    {
        if (!string.IsNullOrEmpty(variable)) return [variable];
        string file = FileName();
        var list = new List<string>
        {
            Path.Combine(baseDirectory, file),
            Path.Combine(baseDirectory, "runtimes", RuntimeId(), "native", file)
        };
        for (var dir = new DirectoryInfo(baseDirectory); dir is not null; dir = dir.Parent)
            list.Add(Path.Combine(dir.FullName, "native", "build", file));
        return list;
    }

    /// <summary>The message for an ABI version other than the bindings' (null when they match).</summary>
    public static string? AbiMismatch(uint libraryVersion, string path) =>
        libraryVersion == K2Api.K2_ABI_VERSION
            ? null
            : $"{path} has ABI version {libraryVersion}, these bindings need {K2Api.K2_ABI_VERSION}: rebuild "
              + "libk2native from this checkout (cmake -S native -B native/build && cmake --build native/build) "
              + "or point K2NATIVE_LIBRARY at a matching build";

    /// <summary>The package's runtime identifier for this process: linux-x64, win-x64, osx-arm64 and so on.</summary>
    internal static string RuntimeId()
    {
        string os = OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx" : "linux";
        return $"{os}-{RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant()}";
    }

    private static string FileName() =>
        OperatingSystem.IsWindows()
            ? "k2native.dll"
            : OperatingSystem.IsMacOS()
            ? "libk2native.dylib"
            : "libk2native.so";

    /// <summary>The first candidate that exists; a K2LibraryException saying what to build or set when none
    /// does.</summary>
    public static string Locate(string? variable, string baseDirectory)
    {
        var candidates = Candidates(variable, baseDirectory);
        string? path = candidates.FirstOrDefault(File.Exists);
        if (path is not null) return path;
        string where = !string.IsNullOrEmpty(variable)
            ? $"{LibraryVariable}={variable} names no file"
            : $"searched {string.Join(", ", candidates.Take(3))}"
                + $"{(candidates.Count > 3 ? " and native/build above them" : "")}";
        throw new K2LibraryException(
            $"libk2native (the CUDA kernel pack) was not found: {where}. Build it with a CUDA toolkit " +
            "(cmake -S native -B native/build && cmake --build native/build) or set K2NATIVE_LIBRARY to the library "
            + "file");
    }

    private static string Load()
    {
        string path = Locate(Environment.GetEnvironmentVariable(LibraryVariable), AppContext.BaseDirectory);
        try
        {
            _handle = NativeLibrary.Load(path);
        }
        catch (DllNotFoundException e)
        {
            throw new K2LibraryException($"{path} exists but does not load: {e.Message}", e);
        }
        NativeLibrary.SetDllImportResolver(typeof(K2Api).Assembly, Resolve);
        if (AbiMismatch(K2Api.k2_abi_version(), path) is { } mismatch) throw new K2LibraryException(mismatch);
        return path;
    }

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath) =>
        name == LibraryName ? _handle : 0;
}

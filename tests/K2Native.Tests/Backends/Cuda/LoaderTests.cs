// The library loader's search and its errors: a missing library names what to build or set, an ABI version other
// than the bindings' is one clear message, and (where libk2native is built) statuses become typed exceptions that
// carry the library's own message. On a machine without a GPU the library must still load and say so.
using K2Native.Backends.Cuda.Native;
using K2Native.Backends.Cuda.Native.Generated;
using K2Native.Tests.Support;

namespace K2Native.Tests.Backends.Cuda;

public sealed class LoaderTests
{
    [Fact]
    public void The_variable_alone_is_tried_when_set_and_its_absence_is_explained()
    {
        Assert.Equal(["/x/libk2native.so"], K2Library.Candidates("/x/libk2native.so", "/app"));
        var e = Assert.Throws<K2LibraryException>(() => K2Library.Locate("/nonexistent/libk2native.so", "/app"));
        Assert.Contains("K2NATIVE_LIBRARY=/nonexistent/libk2native.so names no file", e.Message);
        Assert.Contains("cmake -S native -B native/build", e.Message);
    }

    [Fact]
    public void Without_the_variable_the_app_directory_and_native_build_above_it_are_searched()
    {
        using var dir = new TempDirectory();
        string app = Path.Combine(dir.Path, "a", "bin");
        Directory.CreateDirectory(app);
        var candidates = K2Library.Candidates(null, app);
        Assert.Equal(Path.Combine(app, "libk2native.so"), candidates[0]);
        Assert.Equal(Path.Combine(app, "runtimes", "linux-x64", "native", "libk2native.so"), candidates[1]);
        Assert.Contains(Path.Combine(dir.Path, "native", "build", "libk2native.so"), candidates);
        var e = Assert.Throws<K2LibraryException>(() => K2Library.Locate(null, app));
        Assert.Contains("was not found", e.Message);
        Assert.Contains("K2NATIVE_LIBRARY", e.Message);

        string packaged = candidates[1];
        Directory.CreateDirectory(Path.GetDirectoryName(packaged)!);
        File.WriteAllBytes(packaged, []);
        Assert.Equal(packaged, K2Library.Locate(null, app));
        File.Delete(packaged);

        string built = Path.Combine(dir.Path, "native", "build", "libk2native.so");
        Directory.CreateDirectory(Path.GetDirectoryName(built)!);
        File.WriteAllBytes(built, []);
        Assert.Equal(built, K2Library.Locate(null, app));
    }

    [Fact]
    public void An_ABI_mismatch_is_one_clear_message()
    {
        Assert.Null(K2Library.AbiMismatch(K2Api.K2_ABI_VERSION, "/lib/libk2native.so"));
        string message = K2Library.AbiMismatch(K2Api.K2_ABI_VERSION + 1, "/lib/libk2native.so")!;
        Assert.Contains($"ABI version {K2Api.K2_ABI_VERSION + 1}", message);
        Assert.Contains($"need {K2Api.K2_ABI_VERSION}", message);
        Assert.Contains("rebuild libk2native", message);
    }

    [LibraryFact]
    public unsafe void The_built_library_loads_reports_its_version_and_maps_statuses_to_typed_exceptions()
    {
        K2Library.EnsureLoaded();
        Assert.Equal((uint)K2Api.K2_ABI_VERSION, K2Api.k2_abi_version());

        int status = K2Api.k2_context_create(null, null);
        Assert.Equal((int)K2Status.InvalidArgument, status);
        var e = Assert.Throws<K2InvalidArgumentException>(() => K2Library.ThrowIfFailed(status, "k2_context_create"));
        Assert.Contains("k2_context_create: context is NULL", e.Message);

        k2_device_info info = default;
        info.struct_size = 3;
        Assert.Equal((int)K2Status.InvalidArgument, K2Api.k2_device_get_info(0, &info));
        Assert.Contains("struct_size is 3", K2Library.LastError());

        Assert.IsType<K2UnsupportedException>(
            Record.Exception(() => K2Library.ThrowIfFailed((int)K2Status.Unsupported, "f")));
        Assert.IsType<K2NoGpuException>(Record.Exception(() => K2Library.ThrowIfFailed((int)K2Status.Driver, "f")));
        Assert.IsType<K2OutOfDeviceMemoryException>(
            Record.Exception(() => K2Library.ThrowIfFailed((int)K2Status.OutOfMemory, "f")));
        Assert.IsType<K2CudaException>(Record.Exception(() => K2Library.ThrowIfFailed((int)K2Status.Cuda, "f")));
        Assert.IsType<K2CudaException>(Record.Exception(() => K2Library.ThrowIfFailed(99, "f")));
    }

    [NoGpuFact]
    public void Without_a_GPU_the_device_count_says_why_and_the_CUDA_backend_refuses_with_one_message()
    {
        var e = Assert.Throws<K2NoGpuException>(() => K2Library.DeviceCount());
        Assert.Contains("k2_device_count", e.Message);
        var cli = K2Cli.Run(null, "logits", "--tokens", "1 2", "--backend", "cuda", "--out", Path.GetTempFileName());
        Assert.Equal(1, cli.ExitCode);
        Assert.Contains("--backend cuda:", cli.Stderr);
        Assert.Contains("--backend cpu", cli.Stderr);
    }
}

// A libk2native context (one device, its stream) and the device memory allocated through it. Buffers still alive
// when the context is disposed are freed with it, so a tensor disposed after its backend is harmless. A buffer that
// queued kernels may still read (a scratch buffer outgrown between launches) is retired, not freed: it is freed after
// the next stream synchronization.
using K2Native.Backends.Cuda.Native;
using K2Native.Backends.Cuda.Native.Generated;
using static K2Native.Backends.Cuda.Native.K2Library;

namespace K2Native.Backends.Cuda;

/// <summary>Device memory as scratch buffers need it (a fake in the tests).</summary>
internal unsafe interface IDeviceMemory
{
    /// <summary>Zeroed device memory of at least one byte.</summary>
    DeviceBuffer Allocate(long bytes);

    /// <summary>Frees <paramref name="buffer"/> once the work queued so far has finished with it.</summary>
    void Retire(DeviceBuffer buffer);

    /// <summary>Copies <paramref name="values"/> to device memory; they may be reused on return.</summary>
    void Upload<T>(void* destination, ReadOnlySpan<T> values) where T : unmanaged;
}

internal sealed unsafe class CudaContext : IDeviceMemory, IDisposable
{
    private readonly HashSet<DeviceBuffer> _live = [];
    private readonly List<DeviceBuffer> _retired = [];
    private k2_context* _context;

    public CudaContext(int device, int tensorCoreMinTokens)
    {
        EnsureLoaded();
        DeviceCount();
        k2_context_params p;
        ThrowIfFailed(K2Api.k2_context_default_params(&p), "k2_context_default_params");
        p.device = device;
        p.tensor_core_min_tokens = tensorCoreMinTokens;
        k2_context* context;
        ThrowIfFailed(K2Api.k2_context_create(&p, &context), "k2_context_create");
        _context = context;
        k2_device_info info;
        info.struct_size = (uint)sizeof(k2_device_info);
        ThrowIfFailed(K2Api.k2_device_get_info(device, &info), "k2_device_get_info");
        DeviceName = new string(info.name);
        ComputeCapability = $"{info.compute_major}.{info.compute_minor}";
    }

    public string DeviceName { get; }

    /// <summary>Counts allocations and frees: a graph captured at another generation may name freed memory.</summary>
    public long Generation { get; private set; }

    /// <summary>While set (a graph is being recorded on this thread), calls that cannot be recorded throw
    /// GraphCaptureRefusedException.</summary>
    public bool Capturing { get; set; }

    public string ComputeCapability { get; }

    public k2_context* Handle
    {
        get
        {
            ObjectDisposedException.ThrowIf(_context == null, this);
            return _context;
        }
    }

    /// <summary>Zeroed device memory of at least one byte.</summary>
    public DeviceBuffer Allocate(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        RefuseWhileCapturing("an allocation");
        Generation++;
        void* p;
        ThrowIfFailed(K2Api.k2_memory_alloc(Handle, (nuint)Math.Max(bytes, 1), &p), "k2_memory_alloc");
        var buffer = new DeviceBuffer(Free, p, bytes);
        _live.Add(buffer);
        // Cleared 1 GiB at a time: a memset row may not be wider than the device's maximum pitch (2 GiB).
        for (long done = 0; done < bytes; done += 1L << 30)
        {
            nuint part = (nuint)Math.Min(bytes - done, 1L << 30);
            ThrowIfFailed(K2Api.k2_memory_clear_2d(Handle, null, (byte*)p + done, part, part, 1), "k2_memory_clear_2d");
        }
        return buffer;
    }

    public void Upload<T>(void* destination, ReadOnlySpan<T> values) where T : unmanaged
    {
        if (values.IsEmpty) return;
        RefuseWhileCapturing("an upload");
        fixed (T* source = values)
            ThrowIfFailed(
                K2Api.k2_memory_upload(Handle, null, destination, source, (nuint)(values.Length * sizeof(T))),
                "k2_memory_upload");
    }

    /// <summary>Copies device memory into <paramref name="values"/> and waits for it.</summary>
    public void Download<T>(Span<T> values, void* source) where T : unmanaged
    {
        if (values.IsEmpty) return;
        RefuseWhileCapturing("a download");
        fixed (T* destination = values)
        {
            ThrowIfFailed(
                K2Api.k2_memory_download(Handle, null, destination, source, (nuint)(values.Length * sizeof(T))),
                "k2_memory_download");
            Synchronize();
        }
    }

    public void Synchronize()
    {
        RefuseWhileCapturing("a synchronization");
        ThrowIfFailed(K2Api.k2_stream_synchronize(Handle, null), "k2_stream_synchronize");
        foreach (var buffer in _retired) buffer.Dispose();
        _retired.Clear();
    }

    public void Retire(DeviceBuffer buffer) => _retired.Add(buffer);

    private void RefuseWhileCapturing(string what)
    {
        if (Capturing) throw new GraphCaptureRefusedException($"{what} cannot be recorded in a CUDA graph");
    }

    internal void Free(DeviceBuffer buffer)
    {
        if (_context == null || !_live.Remove(buffer)) return;
        Generation++;
        ThrowIfFailed(K2Api.k2_memory_free(_context, buffer.Pointer), "k2_memory_free");
    }

    public void Dispose()
    {
        if (_context == null) return;
        K2Api.k2_stream_synchronize(_context, null);
        foreach (var buffer in _live) K2Api.k2_memory_free(_context, buffer.Pointer);
        _live.Clear();
        _retired.Clear();
        K2Api.k2_context_destroy(_context);
        _context = null;
    }
}

/// <summary>One device allocation; <paramref name="free"/> releases it.</summary>
internal sealed unsafe class DeviceBuffer(Action<DeviceBuffer> free, void* pointer, long bytes) : IDisposable
{
    public void* Pointer { get; } = pointer;

    public long Bytes { get; } = bytes;

    public void Dispose() => free(this);
}

/// <summary>A device buffer reused across calls and grown on demand. Kernels queued before a growth may still use
/// the old buffer, so it is retired (freed after the next synchronization), never freed at once.</summary>
internal sealed unsafe class DeviceScratch(IDeviceMemory memory) : IDisposable
{
    private DeviceBuffer? _buffer;

    public void* Get(long bytes)
    {
        if (_buffer is null || _buffer.Bytes < bytes)
        {
            long size = Math.Max(bytes, 2 * (_buffer?.Bytes ?? 0));
            if (_buffer is not null) memory.Retire(_buffer);
            _buffer = memory.Allocate(size);
        }
        return _buffer.Pointer;
    }


    public long Bytes => _buffer?.Bytes ?? 0;

    /// <summary>Uploads <paramref name="values"/> into the scratch and returns its device address.</summary>
    public T* Upload<T>(ReadOnlySpan<T> values) where T : unmanaged
    {
        var p = (T*)Get((long)values.Length * sizeof(T));
        memory.Upload(p, values);
        return p;
    }

    public void Dispose() => _buffer?.Dispose();
}

/// <summary>Work that a CUDA graph cannot record was asked for while recording; the caller runs the work eagerly
/// instead.</summary>
internal sealed class GraphCaptureRefusedException(string message) : InvalidOperationException(message);

// One safetensors file, validated and memory-mapped read-only: tensors are used in place from the
// mapping, never copied into managed arrays (a 594 GB checkpoint must not be read into memory).
using System.IO.MemoryMappedFiles;

namespace K2Native.Checkpoint;

/// <summary>A validated, memory-mapped safetensors file. Pointers it hands out live until
/// <see cref="Dispose"/>.</summary>
public sealed unsafe class SafetensorsFile : IDisposable
{
    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;
    private byte* _base;

    private SafetensorsFile(
        string path, SafetensorsHeader header, long length, MemoryMappedFile? map, MemoryMappedViewAccessor? view,
        byte* basePointer)
    {
        Path = path;
        Header = header;
        Length = length;
        _map = map;
        _view = view;
        _base = basePointer;
    }

    /// <summary>The file's path.</summary>
    public string Path { get; }

    /// <summary>The validated header.</summary>
    public SafetensorsHeader Header { get; }

    /// <summary>File size in bytes.</summary>
    public long Length { get; }

    /// <summary>Tensors by name.</summary>
    public IReadOnlyDictionary<string, TensorInfo> Tensors => Header.Tensors;

    /// <summary>Validates the header of <paramref name="path"/>, then maps the file read-only.</summary>
    public static SafetensorsFile Open(string path)
    {
        if (!File.Exists(path))
            throw CheckpointException.InFile(path, "file not found");
        var header = SafetensorsHeader.Read(path);
        long length = new FileInfo(path).Length;
        MemoryMappedFile? map = null;
        MemoryMappedViewAccessor? view = null;
        byte* basePointer = null;
        try
        {
            map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, mapName: null, 0, MemoryMappedFileAccess.Read);
            view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref basePointer);
            basePointer += view.PointerOffset;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            view?.Dispose();
            map?.Dispose();
            throw new CheckpointException($"{path}: cannot memory-map the file: {e.Message}", e) { File = path };
        }
        return new SafetensorsFile(path, header, length, map, view, basePointer);
    }

    /// <summary>Address of a tensor's first byte inside the mapping.</summary>
    public byte* Pointer(TensorInfo tensor)
    {
        ObjectDisposedException.ThrowIf(_base == null, this);
        return _base + tensor.FileOffset;
    }

    /// <summary>A tensor's bytes as a span over the mapping (tensors under 2 GiB).</summary>
    public ReadOnlySpan<byte> Bytes(TensorInfo tensor)
    {
        if (tensor.ByteLength > int.MaxValue)
            throw CheckpointException.ForTensor(
                Path, tensor.Name, $"is {tensor.ByteLength} bytes, too large for a span; use Pointer");
        return new ReadOnlySpan<byte>(Pointer(tensor), (int)tensor.ByteLength);
    }

    public void Dispose()
    {
        if (_base == null) return;
        _base = null;
        _view!.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map!.Dispose();
    }
}

// Writes a safetensors file: u64 header length, JSON header (padded with spaces to 8-byte alignment),
// then each tensor's bytes in the order added. Tensors are produced by callbacks while writing, so
// multi-gigabyte shards stream to disk without being held in memory.
using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using K2Native.Checkpoint;

namespace K2Native.Applications.Synth;

/// <summary>Accumulates tensor declarations, then writes them to one safetensors file.</summary>
internal sealed class SafetensorsWriter
{
    private readonly List<Entry> _entries = [];
    private readonly Dictionary<string, string> _metadata = new(StringComparer.Ordinal);

    /// <summary>Bytes of tensor data declared so far.</summary>
    public long DataBytes { get; private set; }

    /// <summary>Names of the tensors declared so far, in order.</summary>
    public IEnumerable<string> Names => _entries.Select(e => e.Name);

    public void AddMetadata(string key, string value) => _metadata[key] = value;

    /// <summary>Declares a tensor whose bytes <paramref name="write"/> will produce (exactly shape x dtype size
    /// bytes).</summary>
    public void Add(string name, DType dtype, long[] shape, Action<Stream> write)
    {
        long bytes = DTypes.SizeOf(dtype);
        foreach (long d in shape) bytes *= d;
        _entries.Add(new Entry(name, dtype, shape, bytes, write));
        DataBytes += bytes;
    }

    public void Add(string name, DType dtype, long[] shape, byte[] data) => Add(name, dtype, shape, s => s.Write(data));

    public void AddBf16(string name, long[] shape, ushort[] values) => Add(name, DType.BF16, shape, ToBytes(values));

    public void AddF32(string name, long[] shape, float[] values) => Add(name, DType.F32, shape, ToBytes(values));

    public void AddI32(string name, long[] shape, int[] values) => Add(name, DType.I32, shape, ToBytes(values));

    /// <summary>Writes the file; throws if a callback wrote the wrong number of bytes.</summary>
    public void Save(string path)
    {
        byte[] header = Header();
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        file.Write(length);
        file.Write(header);
        foreach (var e in _entries)
        {
            long before = file.Position;
            e.Write(file);
            if (file.Position - before != e.Bytes)
                throw new InvalidOperationException(
                    $"{path}: tensor '{e.Name}' wrote {file.Position - before} bytes, declared {e.Bytes}");
        }
    }

    private byte[] Header()
    {
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (_metadata.Count > 0)
            {
                json.WriteStartObject("__metadata__");
                foreach (var (k, v) in _metadata) json.WriteString(k, v);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var e in _entries)
            {
                json.WriteStartObject(e.Name);
                json.WriteString("dtype", DTypes.Name(e.DType));
                json.WriteStartArray("shape");
                foreach (long d in e.Shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + e.Bytes);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += e.Bytes;
            }
            json.WriteEndObject();
        }
        int padding = (int)((8 - (buffer.Length % 8)) % 8);
        buffer.Write(Encoding.ASCII.GetBytes(new string(' ', padding)));
        return buffer.ToArray();
    }

    private static byte[] ToBytes<T>(T[] values) where T : unmanaged
    {
        var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("safetensors is little-endian; big-endian hosts are not supported");
        return bytes;
    }

    private sealed record Entry(string Name, DType DType, long[] Shape, long Bytes, Action<Stream> Write);
}

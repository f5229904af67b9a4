// Parses and validates the JSON header of a safetensors file before any byte of it is trusted.
// Format: u64 little-endian header length N, N bytes of JSON, then the data area; each tensor's
// data_offsets are relative to the start of the data area.
using System.Text.Json;

namespace K2Native.Checkpoint;

/// <summary>Validated header of one safetensors file.</summary>
public sealed class SafetensorsHeader
{
    /// <summary>Largest header accepted (safetensors' own limit): guards against absurd lengths.</summary>
    public const long MaxHeaderBytes = 100L * 1024 * 1024;

    private const int MaxRank = 8;

    private SafetensorsHeader(Dictionary<string, TensorInfo> tensors, Dictionary<string, string> metadata)
    {
        Tensors = tensors;
        Metadata = metadata;
    }

    /// <summary>Tensors by name.</summary>
    public IReadOnlyDictionary<string, TensorInfo> Tensors { get; }

    /// <summary>The optional <c>__metadata__</c> string map.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Reads and validates the header of <paramref name="path"/>; throws
    /// <see cref="CheckpointException"/>.</summary>
    public static SafetensorsHeader Read(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.None);
        long fileLength = stream.Length;
        if (fileLength < 8)
            throw CheckpointException.InFile(
                path, $"file is {fileLength} bytes, shorter than the 8-byte header length field");
        Span<byte> lengthBytes = stackalloc byte[8];
        stream.ReadExactly(lengthBytes);
        ulong headerLength = BitConverter.IsLittleEndian
            ? BitConverter.ToUInt64(lengthBytes)
            : System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength > (ulong)(fileLength - 8))
            throw CheckpointException.InFile(path,
                $"header length {headerLength} (bytes 0..7) runs past the end of the file ({fileLength} bytes; at most "
                + $"{fileLength - 8} available)");
        if (headerLength > MaxHeaderBytes)
            throw CheckpointException.InFile(
                path, $"header length {headerLength} exceeds the {MaxHeaderBytes}-byte limit");
        if (headerLength < 2)
            throw CheckpointException.InFile(path, $"header length {headerLength} is too small to hold a JSON object");
        var json = new byte[(int)headerLength];
        stream.ReadExactly(json);
        long dataStart = 8 + (long)headerLength;
        return Parse(json, dataStart, fileLength - dataStart, path);
    }

    /// <summary>Validates header JSON whose data area starts at <paramref name="dataStart"/> and holds
    /// <paramref name="dataLength"/> bytes.</summary>
    public static SafetensorsHeader Parse(ReadOnlySpan<byte> json, long dataStart, long dataLength, string path)
    {
        var doc = CheckpointJson.Parse(
            json.ToArray(), path, maxDepth: 4, what: $"header JSON (file bytes 8..{8 + json.Length})");
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw CheckpointException.InFile(
                    path, $"header JSON must be an object, found {doc.RootElement.ValueKind}");

            var tensors = new Dictionary<string, TensorInfo>(StringComparer.Ordinal);
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                if (property.Name == "__metadata__")
                {
                    ReadMetadata(property.Value, metadata, path);
                    continue;
                }
                if (tensors.ContainsKey(property.Name))
                    throw CheckpointException.ForTensor(path, property.Name, "appears twice in the header");
                tensors.Add(property.Name, ReadTensor(property.Name, property.Value, dataStart, dataLength, path));
            }
            CheckNoOverlap(tensors.Values, dataStart, path);
            return new SafetensorsHeader(tensors, metadata);
        }
    }

    private static void ReadMetadata(JsonElement value, Dictionary<string, string> metadata, string path)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw CheckpointException.InFile(path, "__metadata__ must be an object of strings");
        foreach (var entry in value.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.String)
                throw CheckpointException.InFile(path, $"__metadata__ entry '{entry.Name}' must be a string");
            metadata[entry.Name] = entry.Value.GetString()!;
        }
    }

    private static TensorInfo ReadTensor(string name, JsonElement value, long dataStart, long dataLength, string path)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw CheckpointException.ForTensor(path, name, $"header entry must be an object, found {value.ValueKind}");

        JsonElement dtypeElement = default, shapeElement = default, offsetsElement = default;
        foreach (var field in value.EnumerateObject())
        {
            switch (field.Name)
            {
                case "dtype": dtypeElement = field.Value; break;
                case "shape": shapeElement = field.Value; break;
                case "data_offsets": offsetsElement = field.Value; break;
                default: throw CheckpointException.ForTensor(path, name, $"unknown header field '{field.Name}'");
            }
        }

        if (dtypeElement.ValueKind != JsonValueKind.String)
            throw CheckpointException.ForTensor(path, name, "missing or non-string 'dtype'");
        string dtypeName = dtypeElement.GetString()!;
        if (!DTypes.TryParse(dtypeName, out var dtype))
            throw CheckpointException.ForTensor(path, name,
                $"unknown dtype '{dtypeName}' (known: BF16, F16, F32, I32, I64, I8, U8, F8_E4M3)");

        if (shapeElement.ValueKind != JsonValueKind.Array)
            throw CheckpointException.ForTensor(path, name, "missing or non-array 'shape'");
        int rank = shapeElement.GetArrayLength();
        if (rank > MaxRank)
            throw CheckpointException.ForTensor(path, name, $"rank {rank} exceeds the supported maximum of {MaxRank}");
        var shape = new long[rank];
        long elements = 1;
        int i = 0;
        foreach (var dim in shapeElement.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt64(out long d) || d < 0)
                throw CheckpointException.ForTensor(
                    path, name, $"shape dimension {i} is not a non-negative integer: {dim.GetRawText()}");
            shape[i++] = d;
            try { elements = checked(elements * d); }
            catch (OverflowException)
            {
                throw CheckpointException.ForTensor(
                    path, name, $"shape {TensorInfo.FormatShape(shape)} overflows 64 bits");
            }
        }

        if (offsetsElement.ValueKind != JsonValueKind.Array || offsetsElement.GetArrayLength() != 2)
            throw CheckpointException.ForTensor(path, name, "'data_offsets' must be an array [begin, end]");
        long begin = ReadOffset(offsetsElement[0], "begin", name, path);
        long end = ReadOffset(offsetsElement[1], "end", name, path);
        if (end < begin)
            throw CheckpointException.ForTensor(path, name, $"data_offsets [{begin}, {end}]: end precedes begin");

        long expectedBytes;
        try { expectedBytes = checked(elements * DTypes.SizeOf(dtype)); }
        catch (OverflowException) { throw CheckpointException.ForTensor(path, name, "byte size overflows 64 bits"); }
        if (end - begin != expectedBytes)
            throw CheckpointException.ForTensor(path, name,
                $"data_offsets [{begin}, {end}] span {end - begin} bytes but shape {TensorInfo.FormatShape(shape)} x "
                + $"{dtypeName} needs {expectedBytes}");
        if (end > dataLength)
            throw CheckpointException.ForTensor(path, name,
                $"data_offsets [{begin}, {end}] (file bytes {dataStart + begin}..{dataStart + end}) run past the end "
                + $"of the file ({dataStart + dataLength} bytes)");

        return new TensorInfo(name, dtype, shape, dataStart + begin, end - begin);
    }

    private static long ReadOffset(JsonElement element, string which, string name, string path)
    {
        if (element.ValueKind != JsonValueKind.Number || !element.TryGetInt64(out long value) || value < 0)
            throw CheckpointException.ForTensor(
                path, name, $"data_offsets {which} is not a non-negative integer: {element.GetRawText()}");
        return value;
    }

    private static void CheckNoOverlap(IEnumerable<TensorInfo> tensors, long dataStart, string path)
    {
        TensorInfo? previous = null;
        foreach (var t in tensors.Where(t => t.ByteLength > 0).OrderBy(t => t.FileOffset))
        {
            if (previous is not null && t.FileOffset < previous.FileOffset + previous.ByteLength)
                throw CheckpointException.ForTensor(path, t.Name,
                    $"bytes {t.FileOffset - dataStart}..{t.FileOffset - dataStart + t.ByteLength} of the data area "
                    + $"overlap tensor '{previous.Name}' " +
                    $"({previous.FileOffset - dataStart}..{previous.FileOffset - dataStart + previous.ByteLength})");
            previous = t;
        }
    }
}

// Bad safetensors files: each must give a CheckpointException naming the file and, where it applies,
// the tensor and the byte range — never a crash, a hang or a silently wrong tensor.
using System.Buffers.Binary;
using System.Text;
using K2Native.Applications.Synth;
using K2Native.Checkpoint;
using K2Native.Numerics;
using K2Native.Tests.Support;

namespace K2Native.Tests.Checkpoint;

public sealed class SafetensorsHeaderTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void ValidFileRoundTrips()
    {
        var writer = new SafetensorsWriter();
        writer.AddBf16("a", [2, 3], [1, 2, 3, 4, 5, 6]);
        writer.AddF32("b", [4], [1f, 2f, 3f, 4f]);
        writer.AddI32("c", [], [7]);
        writer.Add("empty", DType.U8, [0, 5], []);
        string path = _dir.File("ok.safetensors");
        writer.Save(path);

        using var file = SafetensorsFile.Open(path);
        Assert.Equal(4, file.Tensors.Count);
        Assert.Equal(new long[] { 2, 3 }, file.Tensors["a"].Shape);
        Assert.Equal(DType.F32, file.Tensors["b"].DType);
        Assert.Equal(7, BitConverter.ToInt32(file.Bytes(file.Tensors["c"])));
        Assert.Equal(0, file.Tensors["a"].FileOffset % 8);
        Assert.Equal(
            new float[] { 1, 2, 3, 4 },
            System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(file.Bytes(file.Tensors["b"])).ToArray());
    }

    [Fact]
    public void FileShorterThanLengthField()
    {
        string path = Write("short.safetensors", [1, 2, 3]);
        var e = Assert.Throws<CheckpointException>(() => SafetensorsFile.Open(path));
        Assert.Contains("short.safetensors", e.Message);
        Assert.Contains("shorter than the 8-byte header length field", e.Message);
    }

    [Fact]
    public void EmptyFile()
    {
        string path = Write("empty.safetensors", []);
        var e = Assert.Throws<CheckpointException>(() => SafetensorsFile.Open(path));
        Assert.Contains("0 bytes", e.Message);
    }

    [Fact]
    public void HeaderLengthPastEndOfFile()
    {
        var bytes = new byte[8 + 10];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 1000);
        string path = Write("len.safetensors", bytes);
        var e = Assert.Throws<CheckpointException>(() => SafetensorsFile.Open(path));
        Assert.Contains("header length 1000", e.Message);
        Assert.Contains("past the end of the file (18 bytes", e.Message);
        Assert.Equal(path, e.File);
    }

    [Fact]
    public void HugeHeaderLengthDoesNotAllocate()
    {
        var bytes = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, ulong.MaxValue);
        string path = Write("huge.safetensors", bytes);
        var e = Assert.Throws<CheckpointException>(() => SafetensorsFile.Open(path));
        Assert.Contains("past the end of the file", e.Message);
    }

    [Fact]
    public void TruncatedDataArea()
    {
        var writer = new SafetensorsWriter();
        writer.AddF32("w", [64], new float[64]);
        string path = _dir.File("trunc.safetensors");
        writer.Save(path);
        using (var stream = new FileStream(path, FileMode.Open)) stream.SetLength(stream.Length - 10);
        var e = Assert.Throws<CheckpointException>(() => SafetensorsFile.Open(path));
        Assert.Equal("w", e.Tensor);
        Assert.Contains("run past the end of the file", e.Message);
    }

    [Theory]
    [InlineData("{\"a\":", "malformed")]
    [InlineData("[1,2]", "must be an object")]
    [InlineData("{\"a\": 5}", "header entry must be an object")]
    [InlineData("{\"a\": {\"dtype\": \"Q4_K\", \"shape\": [1], \"data_offsets\": [0, 1]}}", "unknown dtype 'Q4_K'")]
    [InlineData("{\"a\": {\"dtype\": \"F32\", \"shape\": [-1], \"data_offsets\": [0, 4]}}", "shape dimension 0")]
    [InlineData("{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 4]}}", "needs 8")]
    [InlineData("{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [4, 0]}}", "end precedes begin")]
    [InlineData("{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0]}}", "data_offsets")]
    [InlineData("{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [64, 68]}}",
        "run past the end of the file")]
    [InlineData("{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4], \"extra\": 1}}",
        "unknown header field 'extra'")]
    [InlineData("{\"a\": {\"shape\": [1], \"data_offsets\": [0, 4]}}", "'dtype'")]
    [InlineData("{\"a\": {\"dtype\": \"F32\", \"shape\": [4294967296, 4294967296, 4294967296], \"data_offsets\": [0, "
        + "4]}}", "overflows 64 bits")]
    [InlineData("{\"__metadata__\": {\"k\": 1}}", "__metadata__ entry 'k' must be a string")]
    [InlineData("{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}, \"a\": {\"dtype\": \"F32\", "
        + "\"shape\": [1], \"data_offsets\": [4, 8]}}", "appears twice")]
    [InlineData("{\"a\": {\"dtype\": \"F32\", \"shape\": [[[[[[1]]]]]], \"data_offsets\": [0, 4]}}", "malformed")]
    public void BadHeaders(string json, string expected)
    {
        string path = WithHeader("bad.safetensors", json, dataBytes: 16);
        var e = Assert.Throws<CheckpointException>(() => SafetensorsFile.Open(path));
        Assert.Contains(expected, e.Message);
        Assert.StartsWith(path, e.Message);
    }

    [Fact]
    public void OverlappingTensors()
    {
        string json = "{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}, \"b\": {\"dtype\": "
            + "\"F32\", \"shape\": [2], \"data_offsets\": [4, 12]}}";
        string path = WithHeader("overlap.safetensors", json, dataBytes: 16);
        var e = Assert.Throws<CheckpointException>(() => SafetensorsFile.Open(path));
        Assert.Equal("b", e.Tensor);
        Assert.Contains("overlap tensor 'a' (0..8)", e.Message);
    }

    [Fact]
    public void EveryDTypeIsKnown()
    {
        foreach (var name in new[] { "BF16", "F16", "F32", "I32", "I64", "I8", "U8", "F8_E4M3" })
        {
            string json = $"{{\"t\": {{\"dtype\": \"{name}\", \"shape\": [2], \"data_offsets\": [0, "
                + $"{2 * DTypes.SizeOf(Enum.Parse<DType>(name))}]}}}}";
            using var file = SafetensorsFile.Open(WithHeader($"{name}.safetensors", json, dataBytes: 16));
            Assert.Equal(name, DTypes.Name(file.Tensors["t"].DType));
        }
    }

    [Fact]
    public void RandomGarbageNeverCrashes()
    {
        var rng = new SplitMix64(42);
        for (int trial = 0; trial < 300; trial++)
        {
            var bytes = new byte[rng.NextInt(200)];
            for (int i = 0; i < bytes.Length; i++) bytes[i] = (byte)rng.Next();
            if (bytes.Length >= 8) BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)rng.NextInt(bytes.Length));
            string path = Write($"garbage{trial}.safetensors", bytes);
            try
            {
                using var file = SafetensorsFile.Open(path);
            }
            catch (CheckpointException e)
            {
                Assert.StartsWith(path, e.Message);
            }
        }
    }

    private string Write(string name, byte[] bytes)
    {
        string path = _dir.File(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private string WithHeader(string name, string json, int dataBytes)
    {
        var header = Encoding.UTF8.GetBytes(json);
        var bytes = new byte[8 + header.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        return Write(name, bytes);
    }
}

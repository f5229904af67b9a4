// A weight matrix as stored in the checkpoint, addressed in place in the memory mapping:
// BF16 [rows, cols], or INT4 compressed-tensors pack-quantized (int32 words of 8 nibbles + BF16 group scales).
namespace K2Native.Checkpoint;

/// <summary>Storage format of a weight matrix.</summary>
public enum WeightFormat
{
    /// <summary>bfloat16, row-major [rows, cols].</summary>
    Bf16,

    /// <summary>
    /// compressed-tensors pack-quantized INT4: <c>packed</c> int32 [rows, cols/8] where input column 8c+i is nibble i
    /// (bits 4i..4i+3) of word c, value = nibble - 8; <c>scales</c> bf16 [rows, cols/group].
    /// </summary>
    Int4,
}

/// <summary>A weight matrix [Rows = out features, Cols = in features] read in place from a mapped checkpoint.</summary>
public sealed unsafe class MatrixSource
{
    private MatrixSource(string name, int rows, int cols, WeightFormat format, void* data, ushort* scales, int groupSize)
    {
        Name = name;
        Rows = rows;
        Cols = cols;
        Format = format;
        Data = data;
        Scales = scales;
        GroupSize = groupSize;
    }

    /// <summary>Tensor name (the module name for INT4 weights).</summary>
    public string Name { get; }

    /// <summary>Output features.</summary>
    public int Rows { get; }

    /// <summary>Input features.</summary>
    public int Cols { get; }

    public WeightFormat Format { get; }

    /// <summary>BF16 elements, or the packed int32 words of an INT4 matrix.</summary>
    public void* Data { get; }

    /// <summary>BF16 group scales [Rows, Cols/GroupSize] of an INT4 matrix; null for BF16.</summary>
    public ushort* Scales { get; }

    /// <summary>Input columns per scale (INT4 only).</summary>
    public int GroupSize { get; }

    /// <summary>Bytes the matrix occupies in the checkpoint (weights plus scales).</summary>
    public long ByteSize => Format == WeightFormat.Bf16
        ? 2L * Rows * Cols
        : 4L * Rows * (Cols / 8) + 2L * Rows * (Cols / GroupSize);

    /// <summary>Parameters (logical elements).</summary>
    public long Parameters => (long)Rows * Cols;

    public static MatrixSource FromBf16(string name, int rows, int cols, ushort* data) =>
        new(name, rows, cols, WeightFormat.Bf16, data, null, 0);

    public static MatrixSource FromInt4(string name, int rows, int cols, int groupSize, int* packed, ushort* scales)
    {
        if (cols % 8 != 0 || groupSize % 8 != 0 || cols % groupSize != 0)
            throw new ArgumentException($"{name}: INT4 matrix needs cols ({cols}) divisible by the group size ({groupSize}), itself a multiple of 8");
        return new(name, rows, cols, WeightFormat.Int4, packed, scales, groupSize);
    }

    /// <summary>BF16 row <paramref name="row"/>.</summary>
    public ReadOnlySpan<ushort> Bf16Row(int row) => new((ushort*)Data + (long)row * Cols, Cols);

    /// <summary>Packed words of row <paramref name="row"/> (INT4).</summary>
    public ReadOnlySpan<int> PackedRow(int row) => new((int*)Data + (long)row * (Cols / 8), Cols / 8);

    /// <summary>Scales of row <paramref name="row"/> (INT4).</summary>
    public ReadOnlySpan<ushort> ScaleRow(int row) => new(Scales + (long)row * (Cols / GroupSize), Cols / GroupSize);
}

// A weight matrix as stored in the checkpoint, addressed in place in the memory mapping:
// BF16 [rows, cols], INT4 compressed-tensors pack-quantized (int32 words of 8 nibbles + BF16 group scales), or
// FP8 e4m3 [rows, cols] with float32 128x128 block scales (weight_scale_inv).
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

    /// <summary>
    /// DeepSeek-V3 block FP8: <c>data</c> e4m3fn bytes [rows, cols]; <c>weight_scale_inv</c> float32
    /// [ceil(rows/128), ceil(cols/128)]; weight = e4m3(q) · scale[row/128, col/128]. Edge blocks are partial.
    /// </summary>
    Fp8,
}

/// <summary>A weight matrix [Rows = out features, Cols = in features] read in place from a mapped checkpoint.</summary>
public sealed unsafe class MatrixSource
{
    private MatrixSource(
        string name, int rows, int cols, WeightFormat format, void* data, ushort* scales, int groupSize,
        float* blockScales = null)
    {
        BlockScales = blockScales;
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

    /// <summary>Float32 block scales [BlockRowCount, BlockColCount] of an FP8 matrix; null otherwise.</summary>
    public float* BlockScales { get; }

    /// <summary>Rows and columns per FP8 scale block.</summary>
    public const int Fp8Block = QuantizationScheme.Fp8Block;

    /// <summary>Scale rows of an FP8 matrix: ceil(Rows / 128).</summary>
    public int BlockRowCount => (Rows + Fp8Block - 1) / Fp8Block;

    /// <summary>Scale columns of an FP8 matrix: ceil(Cols / 128).</summary>
    public int BlockColCount => (Cols + Fp8Block - 1) / Fp8Block;

    /// <summary>Bytes the matrix occupies in the checkpoint (weights plus scales).</summary>
    public long ByteSize => Format switch
    {
        WeightFormat.Bf16 => 2L * Rows * Cols,
        WeightFormat.Fp8 => (long)Rows * Cols + 4L * BlockRowCount * BlockColCount,
        _ => 4L * Rows * (Cols / 8) + 2L * Rows * (Cols / GroupSize),
    };

    /// <summary>Parameters (logical elements).</summary>
    public long Parameters => (long)Rows * Cols;

    public static MatrixSource FromBf16(string name, int rows, int cols, ushort* data) =>
        new(name, rows, cols, WeightFormat.Bf16, data, null, 0);

    public static MatrixSource FromInt4(string name, int rows, int cols, int groupSize, int* packed, ushort* scales)
    {
        if (cols % 8 != 0 || groupSize % 8 != 0 || cols % groupSize != 0)
            throw new ArgumentException(
                $"{name}: INT4 matrix needs cols ({cols}) divisible by the group size ({groupSize}), itself a multiple "
                + "of 8");
        return new(name, rows, cols, WeightFormat.Int4, packed, scales, groupSize);
    }

    public static MatrixSource FromFp8(string name, int rows, int cols, byte* data, float* blockScales) =>
        new(name, rows, cols, WeightFormat.Fp8, data, null, 0, blockScales);

    /// <summary>FP8 codes of row <paramref name="row"/>.</summary>
    public ReadOnlySpan<byte> Fp8Row(int row) => new((byte*)Data + (long)row * Cols, Cols);

    /// <summary>The block scales covering row <paramref name="row"/> (FP8), one per 128 columns.</summary>
    public ReadOnlySpan<float> BlockScaleRow(int row) => new(
        BlockScales + (long)(row / Fp8Block) * BlockColCount, BlockColCount);

    /// <summary>BF16 row <paramref name="row"/>.</summary>
    public ReadOnlySpan<ushort> Bf16Row(int row) => new((ushort*)Data + (long)row * Cols, Cols);

    /// <summary>Packed words of row <paramref name="row"/> (INT4).</summary>
    public ReadOnlySpan<int> PackedRow(int row) => new((int*)Data + (long)row * (Cols / 8), Cols / 8);

    /// <summary>Scales of row <paramref name="row"/> (INT4).</summary>
    public ReadOnlySpan<ushort> ScaleRow(int row) => new(Scales + (long)row * (Cols / GroupSize), Cols / GroupSize);
}

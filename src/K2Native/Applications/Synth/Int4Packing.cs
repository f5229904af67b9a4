// compressed-tensors pack-quantized INT4, symmetric, grouped (K2-SPEC section 3):
// scale = absmax(group) / 7.5, q = clamp(round(w / scale), -8, 7), stored as nibble q + 8;
// input column 8c+i is nibble i (bits 4i..4i+3) of int32 word c.
using K2Native.Numerics;

namespace K2Native.Applications.Synth;

/// <summary>Quantizes float matrices to the pack-quantized INT4 layout and back.</summary>
internal static class Int4Packing
{
    /// <summary>Quantizes w [rows, cols] (row-major); returns packed words [rows, cols/8] and bf16 scales [rows,
    /// cols/group].</summary>
    public static (int[] Packed, ushort[] Scales) Quantize(ReadOnlySpan<float> w, int rows, int cols, int groupSize)
    {
        if (cols % groupSize != 0 || groupSize % 8 != 0 || w.Length != rows * cols)
            throw new ArgumentException(
                $"INT4 quantization of [{rows}, {cols}] with group {groupSize}: cols must be a multiple of the group, "
                + "itself of 8");
        int groups = cols / groupSize;
        var packed = new int[rows * cols / 8];
        var scales = new ushort[rows * groups];
        for (int r = 0; r < rows; r++)
        {
            for (int g = 0; g < groups; g++)
            {
                var group = w.Slice(r * cols + g * groupSize, groupSize);
                float absMax = 0;
                foreach (float v in group) absMax = Math.Max(absMax, Math.Abs(v));
                ushort scaleBits = Bf16.FromFloat(absMax / 7.5f);
                scales[r * groups + g] = scaleBits;
                float scale = Bf16.ToFloat(scaleBits);
                for (int k = 0; k < groupSize; k++)
                {
                    int q = scale == 0
                        ? 0
                        : (int)Math.Clamp(MathF.Round(group[k] / scale, MidpointRounding.ToEven), -8, 7);
                    int col = g * groupSize + k;
                    packed[r * (cols / 8) + col / 8] |= (q + 8) << (4 * (col % 8));
                }
            }
        }
        return (packed, scales);
    }

    /// <summary>The float value of element (row, col) of a packed matrix.</summary>
    public static float Dequantize(
        ReadOnlySpan<int> packed, ReadOnlySpan<ushort> scales, int cols, int groupSize, int row, int col)
    {
        uint word = (uint)packed[row * (cols / 8) + col / 8];
        int q = (int)((word >> (4 * (col % 8))) & 0xF) - 8;
        return q * Bf16.ToFloat(scales[row * (cols / groupSize) + col / groupSize]);
    }
}

// Reads one row of a weight matrix as float32 in natural column order, whatever its stored format.
using K2Native.Checkpoint;
using K2Native.Numerics;

namespace K2Native.Backends.Cpu;

internal static unsafe class WeightRows
{
    /// <summary>dst[0..Cols) = row <paramref name="row"/> of <paramref name="w"/>, dequantized.</summary>
    public static void Read(MatrixSource w, int row, float* dst, SimdWidth width)
    {
        if (w.Format == WeightFormat.Bf16)
        {
            VectorMath.WidenBf16((ushort*)w.Data + (long)row * w.Cols, dst, w.Cols, width);
            return;
        }
        if (w.Format == WeightFormat.Fp8)
        {
            Fp8Kernel.DequantizeRow(new Fp8Rows(w), row, dst, width);
            return;
        }
        int* words = (int*)w.Data + (long)row * (w.Cols / 8);
        ushort* scales = w.Scales + (long)row * (w.Cols / w.GroupSize);
        for (int c = 0; c < w.Cols; c++)
            dst[c] = ((int)(((uint)words[c / 8] >> (4 * (c % 8))) & 0xF) - 8) * Bf16.ToFloat(scales[c / w.GroupSize]);
    }
}

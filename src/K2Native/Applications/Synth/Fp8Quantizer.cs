// DeepSeek-V3 block FP8 (K2-SPEC / issue 17): per 128x128 block, scale = absmax / 448 and
// code = e4m3(round-to-nearest-even(w / scale)); an all-zero block gets scale 0 and zero codes.
using K2Native.Checkpoint;
using K2Native.Numerics;

namespace K2Native.Applications.Synth;

/// <summary>Quantizes float matrices to FP8 e4m3 with float32 128x128 block scales (weight_scale_inv).</summary>
internal static class Fp8Quantizer
{
    private const int Block = MatrixSource.Fp8Block;

    /// <summary>Quantizes w [rows, cols] (row-major); returns codes [rows, cols] and scales [ceil(rows/128),
    /// ceil(cols/128)].</summary>
    public static (byte[] Codes, float[] Scales) Quantize(ReadOnlySpan<float> w, int rows, int cols)
    {
        if (w.Length != rows * cols)
            throw new ArgumentException($"FP8 quantization of [{rows}, {cols}]: {w.Length} values given");
        int blockRows = (rows + Block - 1) / Block, blockCols = (cols + Block - 1) / Block;
        var codes = new byte[rows * cols];
        var scales = new float[blockRows * blockCols];
        for (int br = 0; br < blockRows; br++)
        {
            int r0 = br * Block, r1 = Math.Min(rows, r0 + Block);
            for (int bc = 0; bc < blockCols; bc++)
            {
                int c0 = bc * Block, c1 = Math.Min(cols, c0 + Block);
                float absMax = 0;
                for (int r = r0; r < r1; r++)
                    for (int c = c0; c < c1; c++) absMax = Math.Max(absMax, Math.Abs(w[r * cols + c]));
                float scale = absMax / Fp8E4M3.Max;
                scales[br * blockCols + bc] = scale;
                if (scale == 0) continue;
                for (int r = r0; r < r1; r++)
                    for (int c = c0; c < c1; c++) codes[r * cols + c] = Fp8E4M3.FromFloat(w[r * cols + c] / scale);
            }
        }
        return (codes, scales);
    }
}

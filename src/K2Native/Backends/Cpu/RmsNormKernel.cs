// RMSNorm, row by row: y = w * x / sqrt(mean(x^2) + eps), statistics in float32 (as transformers does).
using System.Runtime.Intrinsics;

namespace K2Native.Backends.Cpu;

internal static unsafe class RmsNormKernel
{
    public static void Run(StridedView x, float[] weight, float eps, StridedView y, SimdWidth width)
    {
        fixed (float* w = weight)
        {
            for (int t = 0; t < x.Rows; t++) Row(x.Row(t), w, eps, y.Row(t), x.Cols, width);
        }
    }

    private static void Row(float* x, float* w, float eps, float* y, int n, SimdWidth width)
    {
        float meanSquare = VectorMath.SumOfSquares(x, n, width) / n;
        float inv = 1f / MathF.Sqrt(meanSquare + eps);
        int i = 0;
        if (width == SimdWidth.V512)
        {
            var s = Vector512.Create(inv);
            for (; i + 16 <= n; i += 16) (Vector512.Load(x + i) * s * Vector512.Load(w + i)).Store(y + i);
        }
        else if (width == SimdWidth.V256)
        {
            var s = Vector256.Create(inv);
            for (; i + 8 <= n; i += 8) (Vector256.Load(x + i) * s * Vector256.Load(w + i)).Store(y + i);
        }
        for (; i < n; i++) y[i] = x[i] * inv * w[i];
    }
}

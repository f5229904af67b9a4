// Rotary embedding on interleaved pairs (DeepSeek's complex form): (x[2i], x[2i+1]) rotated by
// angle pos * inv_freq[i]. Angles are formed in float64 so long positions keep their precision.
namespace K2Native.Backends.Cpu;

internal static unsafe class RopeKernel
{
    public static void Run(
        StridedView x, int heads, int headStride, int offset, RopeTable rope, ReadOnlySpan<int> positions)
    {
        int pairs = rope.InverseFrequencies.Length;
        float* cos = stackalloc float[pairs];
        float* sin = stackalloc float[pairs];
        for (int t = 0; t < x.Rows; t++)
        {
            for (int i = 0; i < pairs; i++)
            {
                double angle = positions[t] * rope.InverseFrequencies[i];
                cos[i] = (float)Math.Cos(angle) * rope.CosSinScale;
                sin[i] = (float)Math.Sin(angle) * rope.CosSinScale;
            }
            float* row = x.Row(t);
            for (int h = 0; h < heads; h++)
            {
                float* p = row + h * headStride + offset;
                for (int i = 0; i < pairs; i++)
                {
                    float a = p[2 * i], b = p[2 * i + 1];
                    p[2 * i] = a * cos[i] - b * sin[i];
                    p[2 * i + 1] = a * sin[i] + b * cos[i];
                }
            }
        }
    }
}

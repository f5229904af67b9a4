// Per-thread scratch memory for kernels (a dequantized weight row, attention scores): grows, never shrinks,
// so steady-state decoding allocates nothing.
using System.Runtime.InteropServices;

namespace K2Native.Backends.Cpu;

internal static unsafe class ThreadScratch
{
    [ThreadStatic] private static float* t_buffer;
    [ThreadStatic] private static long t_length;

    /// <summary>
    /// At least <paramref name="floats"/> floats, 64-byte aligned, owned by the calling thread until its next call.
    /// </summary>
    public static float* Get(long floats)
    {
        if (t_length < floats)
        {
            if (t_buffer != null) NativeMemory.AlignedFree(t_buffer);
            long size = Math.Max(floats, 1024);
            t_buffer = (float*)NativeMemory.AlignedAlloc((nuint)(size * sizeof(float)), 64);
            t_length = size;
        }
        return t_buffer;
    }
}

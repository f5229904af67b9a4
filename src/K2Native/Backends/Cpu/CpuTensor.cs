// Activations of the CPU backend: 64-byte aligned native memory, outside the garbage collector.
using System.Runtime.InteropServices;

namespace K2Native.Backends.Cpu;

internal sealed unsafe class CpuTensor : Tensor
{
    public CpuTensor(int rows, int cols) : base(rows, cols)
    {
        nuint bytes = (nuint)Math.Max(1L, (long)rows * cols) * sizeof(float);
        Data = (float*)NativeMemory.AlignedAlloc(bytes, 64);
        NativeMemory.Clear(Data, bytes);
    }

    ~CpuTensor() => Free();

    public float* Data { get; private set; }

    public override void Dispose()
    {
        Free();
        GC.SuppressFinalize(this);
    }

    private void Free()
    {
        if (Data == null) return;
        NativeMemory.AlignedFree(Data);
        Data = null;
    }
}

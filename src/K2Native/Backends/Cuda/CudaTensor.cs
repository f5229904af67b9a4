// Activations on the GPU: float32 row-major [rows, cols] in device memory; a view is the tensor's address plus its
// column offset, with the tensor's width as row stride (what every libk2native entry point takes).
namespace K2Native.Backends.Cuda;

internal sealed unsafe class CudaTensor : Tensor
{
    private readonly DeviceBuffer _buffer;

    public CudaTensor(CudaContext context, int rows, int cols) : base(rows, cols) =>
        _buffer = context.Allocate((long)rows * cols * sizeof(float));

    public float* Data => (float*)_buffer.Pointer;

    public override void Dispose() => _buffer.Dispose();
}

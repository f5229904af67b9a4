// A raw float32 matrix view: element (r, c) at Data[r * Stride + c]. What CPU kernels operate on.
namespace K2Native.Backends.Cpu;

internal readonly unsafe struct CpuView
{
    public CpuView(float* data, int rows, int cols, int stride)
    {
        Data = data;
        Rows = rows;
        Cols = cols;
        Stride = stride;
    }

    public float* Data { get; }

    public int Rows { get; }

    public int Cols { get; }

    public int Stride { get; }

    public float* Row(int r) => Data + (long)r * Stride;

    public static CpuView Of(TensorView view)
    {
        var tensor = (CpuTensor)view.Tensor;
        return new CpuView(tensor.Data + view.Col, view.Rows, view.Cols, tensor.Cols);
    }
}

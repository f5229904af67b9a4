// A float32 matrix as the CPU kernels and the native calls take it: element (r, c) at Data[r * Stride + c]. A view
// of a tensor is the tensor's base address plus its first column, with the tensor's width as the row stride.
namespace K2Native.Backends;

internal readonly unsafe struct StridedView
{
    public StridedView(float* data, int rows, int cols, int stride)
    {
        Data = data;
        Rows = rows;
        Cols = cols;
        Stride = stride;
    }

    /// <summary>The view <paramref name="view"/> of a tensor whose elements start at <paramref
    /// name="tensorData"/>.</summary>
    public StridedView(float* tensorData, TensorView view)
        : this(tensorData + view.Col, view.Rows, view.Cols, view.Tensor.Cols) { }

    public float* Data { get; }

    public int Rows { get; }

    public int Cols { get; }

    public int Stride { get; }

    public float* Row(int r) => Data + (long)r * Stride;

    /// <summary>The error for a tensor that another backend made.</summary>
    public static ArgumentException Foreign(TensorView view, string backend) =>
        new($"a tensor of another backend ({view.Tensor.GetType().Name}) was given to the {backend} backend");
}

// One tensor entry of a safetensors header, after validation.
namespace K2Native.Checkpoint;

/// <summary>A validated safetensors header entry: where the tensor's bytes are and how to read them.</summary>
/// <param name="Name">Tensor name as stored.</param>
/// <param name="DType">Element type.</param>
/// <param name="Shape">Dimensions, outermost first.</param>
/// <param name="FileOffset">Absolute byte offset of the first element in the file.</param>
/// <param name="ByteLength">Bytes the tensor occupies (element count times element size).</param>
public sealed record TensorInfo(string Name, DType DType, long[] Shape, long FileOffset, long ByteLength)
{
    /// <summary>Number of elements (product of the shape; 1 for a scalar).</summary>
    public long ElementCount
    {
        get
        {
            long n = 1;
            foreach (long d in Shape) n *= d;
            return n;
        }
    }

    /// <summary>The shape as written in error messages: [a, b].</summary>
    public string ShapeText => FormatShape(Shape);

    internal static string FormatShape(IEnumerable<long> shape) => "[" + string.Join(", ", shape) + "]";
}

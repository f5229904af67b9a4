// Activations as a backend holds them: float32 matrices [rows, cols], row-major, owned by one backend.
namespace K2Native.Backends;

/// <summary>A float32 activation matrix [Rows, Cols] in a backend's memory.</summary>
public abstract class Tensor : IDisposable
{
    protected Tensor(int rows, int cols)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(cols);
        Rows = rows;
        Cols = cols;
    }

    public int Rows { get; }

    public int Cols { get; }

    /// <summary>The whole tensor as a view.</summary>
    public TensorView All => new(this, Rows, 0, Cols);

    /// <summary>The first <paramref name="rows"/> rows, all columns.</summary>
    public TensorView Take(int rows) => new(this, rows, 0, Cols);

    public abstract void Dispose();

    public static implicit operator TensorView(Tensor tensor) => tensor.All;
}

/// <summary>The first <see cref="Rows"/> rows and columns [Col, Col + Cols) of a tensor.</summary>
public readonly record struct TensorView
{
    public TensorView(Tensor tensor, int rows, int col, int cols)
    {
        if ((uint)rows > (uint)tensor.Rows || col < 0 || cols < 0 || col + cols > tensor.Cols)
            throw new ArgumentOutOfRangeException(
                nameof(rows),
                $"view [{rows} rows, cols {col}..{col + cols}) outside tensor [{tensor.Rows}, {tensor.Cols}]");
        Tensor = tensor;
        Rows = rows;
        Col = col;
        Cols = cols;
    }

    public Tensor Tensor { get; }

    public int Rows { get; }

    public int Col { get; }

    public int Cols { get; }

    /// <summary>Columns [col, col + cols) of this view.</summary>
    public TensorView Columns(int col, int cols)
    {
        if (col < 0 || cols < 0 || col + cols > Cols)
            throw new ArgumentOutOfRangeException(
                nameof(col), $"columns {col}..{col + cols} outside a view of {Cols} columns");
        return new TensorView(Tensor, Rows, Col + col, cols);
    }

    /// <summary>The first <paramref name="rows"/> rows of this view.</summary>
    public TensorView TakeRows(int rows) => new(Tensor, rows, Col, Cols);
}

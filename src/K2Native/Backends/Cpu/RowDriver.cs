// The one loop of the dot-product row kernels (bf16, INT4 x float32, INT4 x int8, and VectorMath.Dot): an
// operator struct (IRowOp) owns one vector step of one format at one width (scalar, Vector256, Vector512);
// RowDriver owns the rest: passes of four rows that share each activation block, the last partial block
// (the operator's masked or scalar tail step) and the reduction. System.Numerics.Tensors' TensorPrimitives
// has the same shape (operators with static abstract members, generic drivers). Every type argument is a
// struct, so the JIT compiles one specialized loop per operator with its steps inlined.
// Each row sees the same sequence of operations in a four-row pass and alone, so results do not depend on
// how rows are grouped. FP8 (Fp8Kernel.cs, Fp8V512.cs) still has its own eight-row loop; it fits here as one more operator.
using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace K2Native.Backends.Cpu;

/// <summary>One weight row as a kernel step reads it: its data and, for quantized formats, its scales.</summary>
internal readonly unsafe struct WeightRow(void* data, void* scales = null)
{
    public byte* Data { get; } = (byte*)data;

    public byte* Scales { get; } = (byte*)scales;
}

/// <summary>For operators whose steps read the activations themselves (nothing shared across rows).</summary>
internal readonly struct NoBlock;

/// <summary>The problem of a row operator: the weights and one activation row.</summary>
internal interface IRowProblem
{
    int Cols { get; }

    WeightRow Row(int r);
}

/// <summary>
/// One row kernel at one vector width. <typeparamref name="TDot"/> is the problem (weights and one activation
/// row), <typeparamref name="TBlock"/> the activations of one block of columns (loaded once per pass and shared
/// by its rows), <typeparamref name="TAcc"/> one row's running sum (default: zero).
/// </summary>
internal unsafe interface IRowOp<TDot, TBlock, TAcc>
    where TDot : struct, IRowProblem
    where TBlock : struct
    where TAcc : struct
{
    /// <summary>4: passes of four rows share every activation block; 1: rows run one by one.</summary>
    static abstract int RowsPerPass { get; }

    /// <summary>Columns one step consumes.</summary>
    static abstract int BlockCols { get; }

    /// <summary>The activations of block j, columns [j·BlockCols, (j + 1)·BlockCols) (default: none).</summary>
    static virtual TBlock Load(in TDot d, int j) => default;

    /// <summary>acc plus block j of row w against x.</summary>
    static abstract TAcc Step(in TDot d, in TBlock x, WeightRow w, int j, TAcc acc);

    /// <summary>
    /// The activations of the last block, whose first <paramref name="count"/> columns exist (default: none).
    /// </summary>
    static virtual TBlock LoadTail(in TDot d, int j, int count) => default;

    /// <summary>acc plus the first <paramref name="count"/> columns of block j (0 &lt; count &lt; BlockCols).</summary>
    static virtual TAcc StepTail(in TDot d, in TBlock x, WeightRow w, int j, int count, TAcc acc) =>
        throw new UnreachableException("This operator's rows are whole blocks.");

    /// <summary>The row's dot product.</summary>
    static abstract float Sum(TAcc acc);
}

/// <summary>The loops of one row operator (see the file's head).</summary>
internal static unsafe class RowDriver<TOp, TDot, TBlock, TAcc>
    where TOp : IRowOp<TDot, TBlock, TAcc>
    where TDot : struct, IRowProblem
    where TBlock : struct
    where TAcc : struct
{
    /// <summary>
    /// y[n - n0] = row n · the activation row of d, n in [n0, n1). With four rows per pass, the rows of a pass are
    /// a quarter of the range apart (rows i, i+m, i+2m, i+3m): four long sequential streams (see MatMulKernel).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Rows(TDot d, int n0, int n1, float* y)
    {
        int m = TOp.RowsPerPass == 4 ? (n1 - n0) / 4 : 0;
        for (int i = 0; i < m; i++) Pass4(d, n0 + i, m, y + i);
        for (int n = n0 + 4 * m; n < n1; n++) y[n - n0] = Row(d, n);
    }

    /// <summary>Row r · the activation row of d (inlined: VectorMath.Dot calls it for every dot product).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Row(TDot d, int r)
    {
        var w = d.Row(r);
        TAcc acc = default;
        int cols = d.Cols, blocks = cols / TOp.BlockCols, rest = cols - blocks * TOp.BlockCols;
        for (int j = 0; j < blocks; j++) acc = TOp.Step(d, TOp.Load(d, j), w, j, acc);
        if (rest != 0) acc = TOp.StepTail(d, TOp.LoadTail(d, blocks, rest), w, blocks, rest, acc);
        return TOp.Sum(acc);
    }

    /// <summary>y[i·stride] = row r + i·stride · the activation row of d, i = 0..3.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Pass4(TDot d, int r, int stride, float* y)
    {
        WeightRow w0 = d.Row(r), w1 = d.Row(r + stride);
        WeightRow w2 = d.Row(r + 2 * stride), w3 = d.Row(r + 3 * stride);
        TAcc a0 = default, a1 = default, a2 = default, a3 = default;
        int cols = d.Cols, blocks = cols / TOp.BlockCols, rest = cols - blocks * TOp.BlockCols;
        for (int j = 0; j < blocks; j++)
        {
            var x = TOp.Load(d, j);
            a0 = TOp.Step(d, x, w0, j, a0);
            a1 = TOp.Step(d, x, w1, j, a1);
            a2 = TOp.Step(d, x, w2, j, a2);
            a3 = TOp.Step(d, x, w3, j, a3);
        }
        if (rest != 0)
        {
            var x = TOp.LoadTail(d, blocks, rest);
            a0 = TOp.StepTail(d, x, w0, blocks, rest, a0);
            a1 = TOp.StepTail(d, x, w1, blocks, rest, a1);
            a2 = TOp.StepTail(d, x, w2, blocks, rest, a2);
            a3 = TOp.StepTail(d, x, w3, blocks, rest, a3);
        }
        y[0] = TOp.Sum(a0);
        y[stride] = TOp.Sum(a1);
        y[2 * stride] = TOp.Sum(a2);
        y[3 * stride] = TOp.Sum(a3);
    }
}

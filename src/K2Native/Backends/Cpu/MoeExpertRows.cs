// What the fused routed step (MoeFusedJobs.cs) needs of an expert format: rows of a gate/up matrix dotted with
// a token's input, rows of a down matrix dotted with a slot's hidden row, and a hook after each stretch of a
// hidden row is written. One struct per format, generic over the vector width's row kernel.
using System.Runtime.CompilerServices;
using K2Native.Checkpoint;

namespace K2Native.Backends.Cpu;

internal unsafe interface IExpertRows
{
    /// <summary>y[k][n - n0] = row n of w · the layer input of token tokens[k], n in [n0, n1), k &lt; count.</summary>
    void InputRows(MatrixSource w, int n0, int n1, int* tokens, int count, float** y);

    /// <summary>Columns [i0, i1) of slot j's hidden row h_j are final.</summary>
    void HiddenWritten(float* hj, int slot, int i0, int i1);

    /// <summary>y[k][n - n0] = row n of w · hidden row h[k] (of slot slots[k]), n in [n0, n1), k &lt; count.</summary>
    void HiddenRows(MatrixSource w, int n0, int n1, float** h, int* slots, int count, float** y);
}

/// <summary>INT4 experts (group 32) with int8 activations: x quantized once, h quantized as it is written.</summary>
internal readonly unsafe struct Int8ExpertRows<TOp>(Int8Activations xq, Int8Activations hq, SimdWidth width)
    : IExpertRows
    where TOp : IInt4Int8Op
{
    public static Int8ExpertRows<TOp> Create(StridedView x, MoeLayer moe, RoutingTables tables, KernelContext context)
    {
        int inner = moe.Gate[0].Rows, terms = context.Int8Terms;
        var xBytes = context.Activations.Get<byte>(Int8Activations.BytesNeeded(x.Rows, x.Cols, terms));
        var xq = Int8Activations.Quantize(x, xBytes, terms, context.Width);
        var hBytes = context.MoeQuantized.Get<byte>(Int8Activations.BytesNeeded(tables.Slots, inner, terms));
        var hq = Int8Activations.Create(hBytes, tables.Slots, inner, terms);
        for (int j = 0; j < tables.Slots; j++) hq.ClearPadding(j);
        return new Int8ExpertRows<TOp>(xq, hq, context.Width);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void InputRows(MatrixSource w, int n0, int n1, int* tokens, int count, float** y)
    {
        for (int k = 0; k < count; k++)
            MatMulKernel.IntegerRows<TOp>(MatMulKernel.Rows(w), n0, n1, xq, tokens[k], y[k]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void HiddenWritten(float* hj, int slot, int i0, int i1) =>
        hq.QuantizeGroups(hj, slot, i0 / Int8Activations.Group, (i1 - i0) / Int8Activations.Group, width);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void HiddenRows(MatrixSource w, int n0, int n1, float** h, int* slots, int count, float** y)
    {
        for (int k = 0; k < count; k++) MatMulKernel.IntegerRows<TOp>(MatMulKernel.Rows(w), n0, n1, hq, slots[k], y[k]);
    }
}

/// <summary>
/// FP8 block-scaled experts with float32 activations: x and h are read as they are, and up to four tokens share
/// each decoded weight (Fp8Kernel.RowsTokens).
/// </summary>
internal readonly unsafe struct Fp8ExpertRows<TOp>(StridedView x) : IExpertRows where TOp : IFp8Op
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void InputRows(MatrixSource w, int n0, int n1, int* tokens, int count, float** y)
    {
        float** xs = stackalloc float*[count];
        for (int k = 0; k < count; k++) xs[k] = x.Row(tokens[k]);
        Fp8Kernel.RowsTokens<TOp>(new Fp8Rows(w), n0, n1, xs, y, count);
    }

    public void HiddenWritten(float* hj, int slot, int i0, int i1)
    {
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void HiddenRows(MatrixSource w, int n0, int n1, float** h, int* slots, int count, float** y) =>
        Fp8Kernel.RowsTokens<TOp>(new Fp8Rows(w), n0, n1, h, y, count);
}

/// <summary>Which expert formats the fused step takes (no allocation: it runs on every MoE layer of a step).</summary>
internal static class ExpertFormats
{
    /// <summary>Every expert INT4 with group 32 and int8 activations requested.</summary>
    public static bool Int8(MoeLayer moe, KernelContext context)
    {
        for (int e = 0; e < moe.Gate.Length; e++)
            if (!MatMulKernel.UsesIntegerPath(moe.Gate[e].Source, context)
                || !MatMulKernel.UsesIntegerPath(moe.Up[e].Source, context)
                || !MatMulKernel.UsesIntegerPath(moe.Down[e].Source, context))
                return false;
        return true;
    }

    /// <summary>Every expert FP8.</summary>
    public static bool Fp8(MoeLayer moe)
    {
        for (int e = 0; e < moe.Gate.Length; e++)
            if (moe.Gate[e].Source.Format != WeightFormat.Fp8 || moe.Up[e].Source.Format != WeightFormat.Fp8
                || moe.Down[e].Source.Format != WeightFormat.Fp8)
                return false;
        return true;
    }
}

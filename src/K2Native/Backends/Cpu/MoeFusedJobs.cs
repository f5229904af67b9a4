// The fused routed-expert step for K2's layout (INT4 experts, group 32, int8 activations), two parallel
// loops per MoE layer:
//   1. gate/up: items are (chosen expert, chunk of 128 inner rows); for each token of that expert the gate and
//      up rows are dotted with the token's quantized x, SiLU-multiplied into its hidden row h [slot, inner],
//      and that stretch of h is quantized at once (chunks are whole activation groups);
//   2. down: items are chunks of output rows; each walks the chosen experts in id order and adds
//      weight · (down rows · quantized h) straight into the accumulator.
// Both loops keep every core streaming weights; the only intermediates are h and its int8 form.
using System.Runtime.CompilerServices;

namespace K2Native.Backends.Cpu;

internal static unsafe class MoeFusedJobs
{
    /// <summary>
    /// Inner rows per gate/up item: 2 x 128 rows x 4 KiB = 1 MiB of K2 weights, and the item's stretch of the quantized
    /// hidden row fills whole cache lines (64 bytes per plane), so two threads never write one line.
    /// </summary>
    private const int InnerRowsPerItem = 128;

    /// <summary>Output rows per down item at most (its partial sums live on the stack).</summary>
    private const int MaxDownRowsPerItem = 512;

    public static void Run(StridedView x, MoeLayer moe, StridedView acc, RoutingTables tables, KernelContext context)
    {
        int hidden = x.Cols, inner = moe.Gate[0].Rows, slots = tables.Slots;
        int terms = context.Int8Terms;
        var xq = Int8Activations.Quantize(x, context.Activations.Get<byte>(Int8Activations.BytesNeeded(x.Rows, hidden, terms)), terms, context.Width);
        float* h = context.MoeHidden.Get<float>((long)slots * inner);
        var hq = Int8Activations.Create(context.MoeQuantized.Get<byte>(Int8Activations.BytesNeeded(slots, inner, terms)), slots, inner, terms);
        for (int j = 0; j < slots; j++) hq.ClearPadding(j);
        int chunksPerExpert = (inner + InnerRowsPerItem - 1) / InnerRowsPerItem;
        int gateUpItems = tables.ActiveCount * chunksPerExpert;
        int downRows = Math.Min(MaxDownRowsPerItem, MatMulKernel.RowsPerChunk(moe.Down[0].Source, context.Pool.Threads));
        int downItems = (hidden + downRows - 1) / downRows;
        switch (context.Width)
        {
            case SimdWidth.V512:
                Run(new GateUp<Int4Int8V512>(moe, tables, xq, h, hq, inner, chunksPerExpert, context.Width), gateUpItems, context);
                Run(new Down<Int4Int8V512>(moe, tables, hq, acc, downRows, context.Width), downItems, context);
                break;
            case SimdWidth.V256:
                Run(new GateUp<Int4Int8V256>(moe, tables, xq, h, hq, inner, chunksPerExpert, context.Width), gateUpItems, context);
                Run(new Down<Int4Int8V256>(moe, tables, hq, acc, downRows, context.Width), downItems, context);
                break;
            default:
                Run(new GateUp<Int4Int8Scalar>(moe, tables, xq, h, hq, inner, chunksPerExpert, context.Width), gateUpItems, context);
                Run(new Down<Int4Int8Scalar>(moe, tables, hq, acc, downRows, context.Width), downItems, context);
                break;
        }
    }

    private static void Run<TJob>(TJob job, int items, KernelContext context) where TJob : struct, IParallelJob =>
        context.Pool.Run(ref job, items);

    private readonly struct GateUp<TOp>(MoeLayer moe, RoutingTables tables, Int8Activations xq, float* h, Int8Activations hq,
        int inner, int chunksPerExpert, SimdWidth width) : IParallelJob where TOp : IInt4Int8Op
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Execute(int item)
        {
            int e = tables.Active[item / chunksPerExpert];
            int i0 = item % chunksPerExpert * InnerRowsPerItem, i1 = Math.Min(inner, i0 + InnerRowsPerItem);
            var gate = MatMulKernel.Rows(moe.Gate[e].Source);
            var up = MatMulKernel.Rows(moe.Up[e].Source);
            float* g = stackalloc float[InnerRowsPerItem];
            float* u = stackalloc float[InnerRowsPerItem];
            for (int j = tables.Start[e]; j < tables.Start[e + 1]; j++)
            {
                int t = tables.TokenOf(j);
                float* hj = h + (long)j * inner;
                MatMulKernel.IntegerRows<TOp>(gate, i0, i1, xq, t, g);
                MatMulKernel.IntegerRows<TOp>(up, i0, i1, xq, t, u);
                VectorMath.SiluMul(g, u, hj + i0, i1 - i0, width);
                hq.QuantizeGroups(hj, j, i0 / Int8Activations.Group, (i1 - i0) / Int8Activations.Group, width);
            }
        }
    }

    private readonly struct Down<TOp>(MoeLayer moe, RoutingTables tables, Int8Activations hq, StridedView acc, int rowsPerItem, SimdWidth width) : IParallelJob
        where TOp : IInt4Int8Op
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Execute(int item)
        {
            int c0 = item * rowsPerItem, c1 = Math.Min(acc.Cols, c0 + rowsPerItem);
            float* d = stackalloc float[rowsPerItem];
            for (int a = 0; a < tables.ActiveCount; a++)
            {
                int e = tables.Active[a];
                var down = MatMulKernel.Rows(moe.Down[e].Source);
                for (int j = tables.Start[e]; j < tables.Start[e + 1]; j++)
                {
                    MatMulKernel.IntegerRows<TOp>(down, c0, c1, hq, j, d);
                    VectorMath.AddScaled(acc.Row(tables.TokenOf(j)) + c0, d, tables.WeightOf(j), c1 - c0, width);
                }
            }
        }
    }
}

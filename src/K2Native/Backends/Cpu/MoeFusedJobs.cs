// The fused routed-expert step, two parallel loops per MoE layer:
//   1. gate/up: items are (chosen expert, chunk of 128 inner rows); for each token of that expert the gate and
//      up rows are dotted with the token's x and SiLU-multiplied into its hidden row h [slot, inner];
//   2. down: items are chunks of output rows; each walks the chosen experts in id order and adds
//      weight · (down rows · h) straight into the accumulator.
// Both loops keep every core streaming weights; the only intermediate is h. Two expert formats take it
// (MoeExpertRows.cs): K2 Thinking's INT4 experts (group 32) with int8 activations, where x is quantized once and
// each 128-row stretch of h is quantized as soon as it is written (chunks are whole activation groups), and
// K2 Instruct's FP8 experts (128x128 blocks) with float32 activations, where h is read as written.
using System.Runtime.CompilerServices;

namespace K2Native.Backends.Cpu;

internal static unsafe class MoeFusedJobs
{
    /// <summary>
    /// Inner rows per gate/up item: 2 x 128 rows x 4 KiB = 1 MiB of K2's INT4 weights; a whole INT4 activation group
    /// stretch of h (64-byte lines per plane, so two threads never write one line) and one FP8 block row.
    /// </summary>
    public const int InnerRowsPerItem = 128;

    /// <summary>Tokens (slots) of one expert that go through its rows together.</summary>
    private const int Tokens = 4;

    /// <summary>Output rows per down item at most (its partial sums live on the stack).</summary>
    private const int MaxDownRowsPerItem = 512;

    /// <summary>True when every expert of the layer has a fused path in this context.</summary>
    public static bool Applies(MoeLayer moe, KernelContext context) =>
        ExpertFormats.Fp8(moe) || ExpertFormats.Int8(moe, context);

    public static void Run(StridedView x, MoeLayer moe, StridedView acc, RoutingTables tables, KernelContext context)
    {
        if (ExpertFormats.Fp8(moe))
        {
            switch (context.Width)
            {
                case SimdWidth.V512:
                    switch (Fp8Decode.Best)
                    {
                        case Fp8DecodeKind.Permute:
                            Run(new Fp8ExpertRows<Fp8V512<Fp8PermuteDecode>>(x), x, moe, acc, tables, context);
                            break;
                        case Fp8DecodeKind.Shift:
                            Run(new Fp8ExpertRows<Fp8V512<Fp8ShiftDecode>>(x), x, moe, acc, tables, context);
                            break;
                        default:
                            Run(new Fp8ExpertRows<Fp8V512<Fp8ShiftUncheckedDecode>>(x), x, moe, acc, tables, context);
                            break;
                    }
                    break;
                case SimdWidth.V256: Run(new Fp8ExpertRows<Fp8V256>(x), x, moe, acc, tables, context); break;
                default: Run(new Fp8ExpertRows<Fp8Scalar>(x), x, moe, acc, tables, context); break;
            }
            return;
        }
        switch (context.Width)
        {
            case SimdWidth.V512:
                Run(Int8ExpertRows<Int4Int8V512>.Create(x, moe, tables, context), x, moe, acc, tables, context);
                break;
            case SimdWidth.V256:
                Run(Int8ExpertRows<Int4Int8V256>.Create(x, moe, tables, context), x, moe, acc, tables, context);
                break;
            default:
                Run(Int8ExpertRows<Int4Int8Scalar>.Create(x, moe, tables, context), x, moe, acc, tables, context);
                break;
        }
    }

    private static void Run<TRows>(TRows rows, StridedView x, MoeLayer moe, StridedView acc, RoutingTables tables,
        KernelContext context) where TRows : struct, IExpertRows
    {
        int hidden = x.Cols, inner = moe.Gate[0].Rows;
        float* h = context.MoeHidden.Get<float>((long)tables.Slots * inner);
        int chunksPerExpert = (inner + InnerRowsPerItem - 1) / InnerRowsPerItem;
        int gateUpItems = tables.ActiveCount * chunksPerExpert;
        int downRows = Math.Min(
            MaxDownRowsPerItem, MatMulKernel.RowsPerChunk(moe.Down[0].Source, context.Pool.Threads));
        int downItems = (hidden + downRows - 1) / downRows;
        var gateUp = new GateUp<TRows>(rows, moe, tables, h, inner, chunksPerExpert, context.Width);
        context.Pool.Run(ref gateUp, gateUpItems);
        var down = new Down<TRows>(rows, moe, tables, h, inner, acc, downRows, context.Width);
        context.Pool.Run(ref down, downItems);
    }

    private readonly struct GateUp<TRows>(TRows rows, MoeLayer moe, RoutingTables tables, float* h, int inner,
        int chunksPerExpert, SimdWidth width) : IParallelJob where TRows : struct, IExpertRows
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Execute(int item)
        {
            int e = tables.Active[item / chunksPerExpert];
            int i0 = item % chunksPerExpert * InnerRowsPerItem, i1 = Math.Min(inner, i0 + InnerRowsPerItem);
            var gate = moe.Gate[e].Source;
            var up = moe.Up[e].Source;
            float* g = stackalloc float[Tokens * InnerRowsPerItem];
            float* u = stackalloc float[Tokens * InnerRowsPerItem];
            int* tokens = stackalloc int[Tokens];
            float** gs = stackalloc float*[Tokens];
            float** us = stackalloc float*[Tokens];
            for (int k = 0; k < Tokens; k++)
            {
                gs[k] = g + k * InnerRowsPerItem;
                us[k] = u + k * InnerRowsPerItem;
            }
            for (int j0 = tables.Start[e]; j0 < tables.Start[e + 1]; j0 += Tokens)
            {
                int count = Math.Min(Tokens, tables.Start[e + 1] - j0);
                for (int k = 0; k < count; k++) tokens[k] = tables.TokenOf(j0 + k);
                rows.InputRows(gate, i0, i1, tokens, count, gs);
                rows.InputRows(up, i0, i1, tokens, count, us);
                for (int k = 0; k < count; k++)
                {
                    float* hj = h + (long)(j0 + k) * inner;
                    VectorMath.SiluMul(gs[k], us[k], hj + i0, i1 - i0, width);
                    rows.HiddenWritten(hj, j0 + k, i0, i1);
                }
            }
        }
    }

    private readonly struct Down<TRows>(TRows rows, MoeLayer moe, RoutingTables tables, float* h, int inner,
        StridedView acc, int rowsPerItem, SimdWidth width) : IParallelJob where TRows : struct, IExpertRows
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Execute(int item)
        {
            int c0 = item * rowsPerItem, c1 = Math.Min(acc.Cols, c0 + rowsPerItem);
            float* d = stackalloc float[Tokens * rowsPerItem];
            int* slots = stackalloc int[Tokens];
            float** hs = stackalloc float*[Tokens];
            float** ds = stackalloc float*[Tokens];
            for (int k = 0; k < Tokens; k++) ds[k] = d + k * rowsPerItem;
            for (int a = 0; a < tables.ActiveCount; a++)
            {
                int e = tables.Active[a];
                var down = moe.Down[e].Source;
                for (int j0 = tables.Start[e]; j0 < tables.Start[e + 1]; j0 += Tokens)
                {
                    int count = Math.Min(Tokens, tables.Start[e + 1] - j0);
                    for (int k = 0; k < count; k++)
                    {
                        slots[k] = j0 + k;
                        hs[k] = h + (long)(j0 + k) * inner;
                    }
                    rows.HiddenRows(down, c0, c1, hs, slots, count, ds);
                    for (int k = 0; k < count; k++)
                        VectorMath.AddScaled(
                            acc.Row(tables.TokenOf(j0 + k)) + c0, ds[k], tables.WeightOf(j0 + k), c1 - c0, width);
                }
            }
        }
    }
}

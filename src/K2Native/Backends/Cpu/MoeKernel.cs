// Routed experts of one MoE layer on the CPU: route every token, sort the (token, slot) pairs by expert,
// then run each chosen expert once over all the tokens that picked it and add weight · expert(x) into the
// accumulator. K2 Thinking's layout (INT4, group 32, int8 activations) and K2 Instruct's (FP8 128x128 blocks)
// take the fused path (MoeFusedJobs.cs): two parallel loops per layer, gate/up/SiLU for every chosen expert,
// then down and the weighted sum, with only the [slots, inner] hidden rows in between. Other layouts (bf16
// experts, INT4 with float32 activations) run the plain per-expert sequence of matrix products. Either way experts
// are summed in id order: deterministic results.
using K2Native.Checkpoint;

namespace K2Native.Backends.Cpu;

internal static unsafe class MoeKernel
{
    public static void Route(StridedView x, MoeLayer moe, Span<int> ids, Span<float> weights, KernelContext context)
    {
        var r = moe.Settings;
        var tables = new RoutingTables(context.MoeTables, x.Rows, r);
        RouteInto(x, moe, tables, context);
        new ReadOnlySpan<int>(tables.Ids, ids.Length).CopyTo(ids);
        new ReadOnlySpan<float>(tables.Weights, ids.Length).CopyTo(weights);
    }

    public static void Run(StridedView x, MoeLayer moe, StridedView acc, KernelContext context)
    {
        var r = moe.Settings;
        var tables = new RoutingTables(context.MoeTables, x.Rows, r);
        RouteInto(x, moe, tables, context);
        tables.SortByExpert();
        if (MoeFusedJobs.Applies(moe, context)) MoeFusedJobs.Run(x, moe, acc, tables, context);
        else RunPerExpert(x, moe, acc, tables, context);
    }

    private static void RouteInto(StridedView x, MoeLayer moe, RoutingTables tables, KernelContext context)
    {
        var r = moe.Settings;
        var logits = new StridedView(tables.Logits, x.Rows, r.Experts, r.Experts);
        MatMulKernel.Run(x, moe.Router.Source, logits, context);
        var bias = ((CpuWeightVector)moe.CorrectionBias).Values;
        var scratch = new Span<float>(tables.SelectScratch, RoutingTables.SelectScratchLength(r));
        for (int t = 0; t < x.Rows; t++)
        {
            var row = new ReadOnlySpan<float>(logits.Row(t), r.Experts);
            RouterKernel.Select(
                row,
                bias,
                r,
                new Span<int>(tables.Ids + t * r.TopK, r.TopK),
                new Span<float>(tables.Weights + t * r.TopK, r.TopK),
                scratch);
        }
    }

    /// <summary>Gather each expert's tokens, gate and up products, SiLU-multiply, down product, weighted add.</summary>
    private static void RunPerExpert(
        StridedView x, MoeLayer moe, StridedView acc, RoutingTables tables, KernelContext context)
    {
        int hidden = x.Cols, inner = moe.Gate[0].Rows, maxTokens = tables.MaxTokensPerExpert();
        float* memory = context.MoeHidden.Get<float>((long)maxTokens * (2 * hidden + 2 * inner));
        float* xe = memory,
            gate = xe + (long)maxTokens * hidden,
            up = gate + (long)maxTokens * inner,
            down = up + (long)maxTokens * inner;
        for (int a = 0; a < tables.ActiveCount; a++)
        {
            int e = tables.Active[a], first = tables.Start[e], n = tables.Start[e + 1] - first;
            for (int j = 0; j < n; j++)
                new ReadOnlySpan<float>(x.Row(tables.TokenOf(first + j)), hidden)
                    .CopyTo(new Span<float>(xe + (long)j * hidden, hidden));
            var gv = new StridedView(gate, n, inner, inner);
            MatMulKernel.Run(new StridedView(xe, n, hidden, hidden), moe.Gate[e].Source, gv, context);
            MatMulKernel.Run(
                new StridedView(xe, n, hidden, hidden),
                moe.Up[e].Source,
                new StridedView(up, n, inner, inner),
                context);
            VectorMath.SiluMul(gate, up, gate, n * inner, context.Width);
            MatMulKernel.Run(gv, moe.Down[e].Source, new StridedView(down, n, hidden, hidden), context);
            for (int j = 0; j < n; j++)
                VectorMath.AddScaled(
                    acc.Row(tables.TokenOf(first + j)),
                    down + (long)j * hidden,
                    tables.WeightOf(first + j),
                    hidden,
                    context.Width);
        }
    }
}

/// <summary>Router outputs and the slots sorted by expert, carved out of one reusable buffer.</summary>
internal readonly unsafe struct RoutingTables
{
    private readonly int _topK;
    private readonly int _experts;
    private readonly int* _activeCount;

    public RoutingTables(NativeBuffer buffer, int tokens, RouterSettings r)
    {
        _topK = r.TopK;
        _experts = r.Experts;
        Slots = tokens * r.TopK;
        Span<long> sizes = stackalloc long[]
        {
            (long)tokens * r.Experts, SelectScratchLength(r), Slots, Slots,
            r.Experts + 1, r.Experts + 1, Slots, r.Experts, 1
        };
        long total = 0;
        foreach (long s in sizes) total += (s + 15) / 16 * 16;
        float* p = buffer.Get<float>(total);
        Logits = Next(ref p, sizes[0]);
        SelectScratch = Next(ref p, sizes[1]);
        Ids = (int*)Next(ref p, sizes[2]);
        Weights = Next(ref p, sizes[3]);
        Start = (int*)Next(ref p, sizes[4]);
        Fill = (int*)Next(ref p, sizes[5]);
        Order = (int*)Next(ref p, sizes[6]);
        Active = (int*)Next(ref p, sizes[7]);
        _activeCount = (int*)Next(ref p, sizes[8]);
    }

    public int Slots { get; }

    public float* Logits { get; }

    public float* SelectScratch { get; }

    /// <summary>Chosen experts [tokens, topK].</summary>
    public int* Ids { get; }

    /// <summary>Their weights [tokens, topK].</summary>
    public float* Weights { get; }

    /// <summary>Expert e's slots are Order[Start[e]..Start[e+1]).</summary>
    public int* Start { get; }

    private int* Fill { get; }

    /// <summary>Slot indices (token · topK + k), grouped by expert in id order.</summary>
    public int* Order { get; }

    /// <summary>Experts with at least one slot, ascending.</summary>
    public int* Active { get; }

    public int ActiveCount => *_activeCount;

    public static int SelectScratchLength(RouterSettings r) => 2 * r.Experts + r.Groups;

    public int TokenOf(int sorted) => Order[sorted] / _topK;

    public float WeightOf(int sorted) => Weights[Order[sorted]];

    /// <summary>Counting sort of the slots by expert; fills Start, Order and Active.</summary>
    public void SortByExpert()
    {
        new Span<int>(Start, _experts + 1).Clear();
        for (int i = 0; i < Slots; i++) Start[Ids[i] + 1]++;
        for (int e = 0; e < _experts; e++) Start[e + 1] += Start[e];
        new ReadOnlySpan<int>(Start, _experts + 1).CopyTo(new Span<int>(Fill, _experts + 1));
        for (int i = 0; i < Slots; i++) Order[Fill[Ids[i]]++] = i;
        int active = 0;
        for (int e = 0; e < _experts; e++)
            if (Start[e + 1] > Start[e]) Active[active++] = e;
        *_activeCount = active;
    }

    public int MaxTokensPerExpert()
    {
        int max = 0;
        for (int e = 0; e < _experts; e++) max = Math.Max(max, Start[e + 1] - Start[e]);
        return max;
    }

    private static float* Next(ref float* p, long count)
    {
        float* at = p;
        p += (count + 15) / 16 * 16;
        return at;
    }
}

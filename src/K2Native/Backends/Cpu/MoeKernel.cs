// Routed experts of one MoE layer on the CPU: route every token, group the tokens by expert, and run
// each chosen expert once over its tokens (gate and up products, SiLU-multiply, down product), adding
// weight · output into the accumulator. Experts run in id order, so the sum order is deterministic.
using K2Native.Checkpoint;

namespace K2Native.Backends.Cpu;

internal static unsafe class MoeKernel
{
    public static void Route(CpuView x, MoeLayer moe, Span<int> ids, Span<float> weights, SimdWidth width, WorkerPool pool)
    {
        var r = moe.Settings;
        if (ids.Length != x.Rows * r.TopK || weights.Length != ids.Length)
            throw new ArgumentException($"Route: {x.Rows} tokens x top-{r.TopK} need {x.Rows * r.TopK} slots, got {ids.Length} and {weights.Length}");
        using var logits = new CpuTensor(x.Rows, r.Experts);
        MatMulKernel.Run(x, moe.Router.Source, new CpuView(logits.Data, x.Rows, r.Experts, r.Experts), width, pool);
        var bias = ((CpuWeightVector)moe.CorrectionBias).Values;
        var scratch = new float[2 * r.Experts + r.Groups];
        for (int t = 0; t < x.Rows; t++)
        {
            var row = new ReadOnlySpan<float>(logits.Data + (long)t * r.Experts, r.Experts);
            RouterKernel.Select(row, bias, r, ids.Slice(t * r.TopK, r.TopK), weights.Slice(t * r.TopK, r.TopK), scratch);
        }
    }

    public static void Run(CpuView x, MoeLayer moe, CpuView acc, SimdWidth width, WorkerPool pool)
    {
        int tokens = x.Rows, topK = moe.Settings.TopK, experts = moe.Settings.Experts;
        if (acc.Rows != tokens || acc.Cols != x.Cols)
            throw new ArgumentException($"RoutedExperts shapes: x [{x.Rows}, {x.Cols}], acc [{acc.Rows}, {acc.Cols}]");
        var ids = new int[tokens * topK];
        var weights = new float[tokens * topK];
        Route(x, moe, ids, weights, width, pool);

        // Counting sort of (token, slot) pairs by expert.
        var start = new int[experts + 1];
        foreach (int e in ids) start[e + 1]++;
        for (int e = 0; e < experts; e++) start[e + 1] += start[e];
        var order = new int[ids.Length];
        var fill = (int[])start.Clone();
        for (int i = 0; i < ids.Length; i++) order[fill[ids[i]]++] = i;

        int hidden = x.Cols, inner = moe.Gate[0].Rows;
        int maxTokens = 0;
        for (int e = 0; e < experts; e++) maxTokens = Math.Max(maxTokens, start[e + 1] - start[e]);
        using var xe = new CpuTensor(maxTokens, hidden);
        using var gate = new CpuTensor(maxTokens, inner);
        using var up = new CpuTensor(maxTokens, inner);
        using var down = new CpuTensor(maxTokens, hidden);
        for (int e = 0; e < experts; e++)
        {
            int n = start[e + 1] - start[e];
            if (n == 0) continue;
            for (int j = 0; j < n; j++)
                new ReadOnlySpan<float>(x.Row(order[start[e] + j] / topK), hidden).CopyTo(new Span<float>(xe.Data + (long)j * hidden, hidden));
            var xv = new CpuView(xe.Data, n, hidden, hidden);
            var gv = new CpuView(gate.Data, n, inner, inner);
            var uv = new CpuView(up.Data, n, inner, inner);
            var dv = new CpuView(down.Data, n, hidden, hidden);
            MatMulKernel.Run(xv, moe.Gate[e].Source, gv, width, pool);
            MatMulKernel.Run(xv, moe.Up[e].Source, uv, width, pool);
            VectorMath.SiluMul(gate.Data, up.Data, gate.Data, n * inner);
            MatMulKernel.Run(gv, moe.Down[e].Source, dv, width, pool);
            for (int j = 0; j < n; j++)
            {
                int slot = order[start[e] + j];
                VectorMath.AddScaled(acc.Row(slot / topK), dv.Row(j), weights[slot], hidden, width);
            }
        }
    }
}

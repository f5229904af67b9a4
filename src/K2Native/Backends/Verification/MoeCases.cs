// Backend comparison cases of the MoE layer: routing (expert ids must be equal, weights within float rounding) for
// expert counts up to 512, top-k up to 16, group-limited selection, and exact ties (duplicated router rows give
// bitwise-equal logits, which both backends must break toward the lower id); then the routed experts, INT4, FP8
// and bf16, for token counts where experts get one slot, several, or none.
using K2Native.Backends;
using K2Native.Checkpoint;

namespace K2Native.Backends.Verification;

internal static partial class BackendComparison
{
    private static IEnumerable<ComparisonCase> MoeCases()
    {
        yield return Routing(
            "route 16 experts top-4, 7 tokens", new RouterSettings(16, 4, 1, 1, true, 2.827f), 7, 64, []);
        yield return Routing(
            "route 384 experts top-8, 64 tokens, tied rows 3=200, 5=6", new RouterSettings(384, 8, 1, 1, true, 2.827f),
            64, 128, [(3, 200), (5, 6)]);
        yield return Routing(
            "route 512 experts top-16, 5 tokens, unnormalized", new RouterSettings(512, 16, 1, 1, false, 1f), 5, 96,
            [(0, 511)]);
        yield return Routing(
            "route 256 experts, 8 groups keep 4, top-8, 13 tokens", new RouterSettings(256, 8, 8, 4, true, 2.5f), 13,
            64, [(40, 41)]);
        yield return Routing(
            "route 64 experts, 64 groups keep 3, top-3, 3 tokens", new RouterSettings(64, 3, 64, 3, true, 1f), 3, 32,
            [(1, 2)]);
        yield return Experts("routed experts int4 16 x top-4, 1 token", 16, 4, 1, 64, 32, WeightFormat.Int4);
        yield return Experts("routed experts int4 16 x top-4, 33 tokens", 16, 4, 33, 128, 64, WeightFormat.Int4);
        yield return Experts(
            "routed experts int4 32 x top-8, 3 tokens, K2 widths 7168/2048", 32, 8, 3, 7168, 2048, WeightFormat.Int4);
        yield return Experts("routed experts bf16 12 x top-3, 9 tokens", 12, 3, 9, 96, 40, WeightFormat.Bf16);
        yield return Experts(
            "routed experts fp8 16 x top-4, 33 tokens, partial blocks 200/72", 16, 4, 33, 200, 72, WeightFormat.Fp8);
        yield return Experts(
            "routed experts fp8 32 x top-8, 3 tokens, K2 widths 7168/2048", 32, 8, 3, 7168, 2048, WeightFormat.Fp8);
    }

    private static ComparisonCase Routing(
        string name, RouterSettings settings, int tokens, int hidden, (int From, int To)[] tiedRows) =>
        new(name, (r, c) =>
    {
        using var data = new HostData((ulong)settings.Experts * 17 + (ulong)tokens);
        var router = data.Bf16WithCopies(settings.Experts, hidden, tiedRows);
        var bias = data.Floats(settings.Experts, 0.05f);
        foreach (var (from, to) in tiedRows) bias[to] = bias[from];
        var x = data.Floats(tokens * hidden);
        var moe = new Func<Backend, MoeLayer>(b => new MoeLayer(b.Load(router), b.Load(bias), settings, [], [], []));
        var (expectedIds, expectedWeights) = Route(r, moe(r), x, tokens, hidden, settings.TopK);
        var (ids, weights) = Route(c, moe(c), x, tokens, hidden, settings.TopK);
        int first = Enumerable.Range(0, ids.Length).FirstOrDefault(i => ids[i] != expectedIds[i], -1);
        string? mismatch = first < 0
            ? null
            : $"token {first / settings.TopK} slot {first % settings.TopK}: expert {ids[first]}, CPU "
                + $"{expectedIds[first]}";
        return new ComparisonResult(name, RelativeL2(weights, expectedWeights), 1e-5, mismatch);
    });

    private static (int[] Ids, float[] Weights) Route(
        Backend b, MoeLayer moe, float[] x, int tokens, int hidden, int topK)
    {
        using var input = b.NewTensor(tokens, hidden);
        b.Write(input, x);
        var (ids, weights) = (new int[tokens * topK], new float[tokens * topK]);
        b.Route(input, moe, ids, weights);
        return (ids, weights);
    }

    private static ComparisonCase Experts(
        string name, int experts, int topK, int tokens, int hidden, int inner, WeightFormat format) =>
        new(name, (r, c) =>
    {
        using var data = new HostData((ulong)experts * 3 + (ulong)tokens * 5 + (ulong)hidden);
        var settings = new RouterSettings(experts, topK, 1, 1, true, 2.827f);
        var router = data.Bf16(experts, hidden);
        var bias = data.Floats(experts, 0.05f);
        MatrixSource Make(int rows, int cols) => format == WeightFormat.Bf16
            ? data.Bf16(rows, cols, 0.1f)
            : data.Matrix(format, rows, cols);
        var gate = Enumerable.Range(0, experts).Select(_ => Make(inner, hidden)).ToArray();
        var up = Enumerable.Range(0, experts).Select(_ => Make(inner, hidden)).ToArray();
        var down = Enumerable.Range(0, experts).Select(_ => Make(hidden, inner)).ToArray();
        var (x, acc) = (data.Floats(tokens * hidden), data.Floats(tokens * hidden));
        return Compare(name, 1e-5, r, c, b =>
        {
            var moe = new MoeLayer(
                b.Load(router), b.Load(bias), settings, gate.Select(b.Load).ToArray(), up.Select(b.Load).ToArray(),
                down.Select(b.Load).ToArray());
            // acc arrives as an input and is added to the cleared output on the device (0 + a is exact), so the whole
            // op is device work that compare-backends --graphs can record.
            return Run(b, [(tokens, hidden, x), (tokens, hidden, acc)], tokens, hidden, (i, o) =>
            {
                b.Clear(o);
                b.Add(o, i[1]);
                b.RoutedExperts(i[0], moe, o);
            });
        });
    });
}

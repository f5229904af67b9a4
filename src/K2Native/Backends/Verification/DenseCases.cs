// Backend comparison cases of the dense ops: products (bf16 and INT4, the GEMV path and the tensor-core tiles),
// RMSNorm, add, SiLU-multiply, gather, embedding, RoPE and clearing a column view.
using K2Native.Backends;
using K2Native.Checkpoint;

namespace K2Native.Backends.Verification;

internal static partial class BackendComparison
{
    private static IEnumerable<ComparisonCase> DenseCases()
    {
        (int T, int N, int K)[] shapes = [
            (1, 1, 32), (7, 5, 64), (13, 17, 96), (1, 300, 1024), (33, 129, 256), (64, 96, 7168)];
        foreach (var (t, n, k) in shapes)
        {
            yield return Product($"matmul int4 T={t} N={n} K={k}", t, n, k, WeightFormat.Int4, 1e-4);
            yield return Product($"matmul bf16 T={t} N={n} K={k}", t, n, k, WeightFormat.Bf16, 1e-4);
            yield return Product($"matmul fp8 T={t} N={n} K={k}", t, n, k, WeightFormat.Fp8, 1e-4);
        }
        yield return Product(
            "matmul fp8 T=3 N=200 K=200 (partial 128-blocks in both dimensions)", 3, 200, 200, WeightFormat.Fp8, 1e-4);
        yield return Product(
            "matmul bf16 T=3 N=11 K=13 (rows not a multiple of 8)", 3, 11, 13, WeightFormat.Bf16, 1e-4);
        yield return Product("matmul bf16 T=5 N=7 K=1001", 5, 7, 1001, WeightFormat.Bf16, 1e-4);
        foreach (var (t, n, k) in new[] { (16, 64, 64), (37, 70, 96), (130, 200, 512) })
        {
            yield return Product($"matmul int4 tensor-core T={t} N={n} K={k}", t, n, k, WeightFormat.Int4, 1e-2);
            yield return Product($"matmul bf16 tensor-core T={t} N={n} K={k}", t, n, k, WeightFormat.Bf16, 1e-2);
        }
        foreach (var (rows, cols) in new[] { (1, 5), (7, 128), (3, 7168) })
        {
            yield return new($"rmsnorm [{rows}, {cols}]", (r, c) =>
            {
                using var data = new HostData(11);
                var x = data.Floats(rows * cols);
                var w = data.Floats(cols);
                return Compare($"rmsnorm [{rows}, {cols}]", 1e-6, r, c, b =>
                {
                    var wv = b.Load(w);
                    return Run(b, [(rows, cols, x)], rows, cols, (i, o) => b.RmsNorm(i[0], wv, 1e-6f, o));
                });
            });
        }
        yield return new("add, silu-mul and clear on column views [5, 40]", (r, c) =>
        {
            using var data = new HostData(12);
            var (g, u) = (data.Floats(5 * 40, 4f), data.Floats(5 * 40));
            return Compare("add, silu-mul and clear on column views [5, 40]", 1e-6, r, c, b => Run(
                b, [(5, 40, g), (5, 40, u)], 5, 40, (i, o) =>
            {
                b.Clear(o);
                // o = u on the device (0 + u is exact), so compare-backends --graphs can record the op
                b.Add(o, i[1]);
                b.SiluMul(i[0].All.Columns(3, 30), i[1].All.Columns(5, 30), o.All.Columns(1, 30));
                b.Add(o.All.Columns(0, 20), i[0].All.Columns(20, 20));
                b.Clear(o.All.Columns(35, 3));
            }));
        });
        yield return new("gather rows and embed (vocabulary 1000, 9 ids)", (r, c) =>
        {
            using var data = new HostData(13);
            var table = data.Bf16(1000, 72);
            int[] ids = [0, 999, 5, 5, 123, 998, 1, 500, 7];
            int[] rows = [8, 0, 3, 3];
            return Compare("gather rows and embed (vocabulary 1000, 9 ids)", 0, r, c, b =>
            {
                var w = b.Load(table);
                using var e = b.NewTensor(ids.Length, 72);
                b.Embed(ids, w, e);
                return Run(b, [], rows.Length, 72, (_, o) => b.GatherRows(e, rows, o));
            });
        });
        yield return new("rope q [6, 4 x 48] rope 16 at offset 32, positions to 200000", (r, c) =>
        {
            using var data = new HostData(14);
            var x = data.Floats(6 * 4 * 48);
            var table = new RopeTable(
                Enumerable.Range(0, 8).Select(i => Math.Pow(50000, -2.0 * i / 16) / (i > 4 ? 8 : 1)).ToArray(), 1.1f);
            int[] positions = [0, 1, 7, 4095, 70000, 200000];
            return Compare("rope q [6, 4 x 48] rope 16 at offset 32, positions to 200000", 1e-5, r, c, b =>
                Run(b, [(6, 192, x)], 6, 192, (i, o) =>
                {
                    b.Rope(i[0], 4, 48, 32, table, positions);
                    b.GatherRows(i[0], [0, 1, 2, 3, 4, 5], o);
                }));
        });
    }

    private static ComparisonCase Product(
        string name, int t, int n, int k, WeightFormat format, double tolerance) => new(name, (r, c) =>
    {
        using var data = new HostData((ulong)(t * 1000003 + n * 1009 + k));
        MatrixSource w = data.Matrix(format, n, k);
        var x = data.Floats(t * k);
        return Compare(name, tolerance, r, c, b =>
        {
            var weight = b.Load(w);
            return Run(b, [(t, k, x)], t, n, (i, o) => b.MatMul(i[0], weight, o));
        });
    });
}

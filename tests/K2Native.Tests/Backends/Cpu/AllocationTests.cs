// The decode path allocates nothing once warm: every backend op a token step uses, at batch 1 and 4, measured
// with GC.GetAllocatedBytesForCurrentThread. A single-thread pool runs every item on the calling thread, so
// the count covers the kernels' own work; the shared pool checks the dispatch path as well. While the
// runtime's tiered JIT is still promoting methods (other tests run at the same time) a window can see its
// bookkeeping, so the test takes the cleanest of three windows after the warm-up.
using K2Native.Backends;
using K2Native.Backends.Cpu;
using K2Native.Tests.Support;

namespace K2Native.Tests.Backends.Cpu;

public sealed class AllocationTests
{
    public static TheoryData<Int4Activations, bool> Cases()
    {
        var data = new TheoryData<Int4Activations, bool>();
        foreach (var activations in Enum.GetValues<Int4Activations>())
        {
            data.Add(activations, true);
            data.Add(activations, false);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void WarmDecodeOpsAllocateNothing(Int4Activations activations, bool singleThread)
    {
        const int D = 256, Inner = 128, Experts = 8, TopK = 2;
        using var pool = new WorkerPool(singleThread ? 1 : Environment.ProcessorCount);
        using var backend = new CpuBackend(Simd.Best, pool, activations);
        var mats = new List<TestMatrix>();
        try
        {
            TestMatrix Keep(TestMatrix m) { mats.Add(m); return m; }
            var bf16 = backend.Load(Keep(TestMatrix.Bf16(96, D, 1)).Source);
            var int4 = backend.Load(Keep(TestMatrix.Int4(96, D, 32, 2)).Source);
            var router = backend.Load(Keep(TestMatrix.Bf16(Experts, D, 3, 0.3f)).Source);
            Weight Expert(int rows, int cols, ulong seed) =>
                backend.Load(Keep(TestMatrix.Int4(rows, cols, 32, seed)).Source);
            var moe = new MoeLayer(
                router,
                backend.Load(new float[Experts]),
                new RouterSettings(Experts, TopK, 1, 1, true, 2.5f),
                Enumerable.Range(0, Experts).Select(e => Expert(Inner, D, (ulong)(10 + e))).ToArray(),
                Enumerable.Range(0, Experts).Select(e => Expert(Inner, D, (ulong)(20 + e))).ToArray(),
                Enumerable.Range(0, Experts).Select(e => Expert(D, Inner, (ulong)(30 + e))).ToArray());
            var norm = backend.Load(TestData.RandomFloats(D, 4));
            var ids = new int[4 * TopK];
            var weights = new float[4 * TopK];
            foreach (int tokens in new[] { 1, 4 })
            {
                using var x = backend.NewTensor(tokens, D);
                using var h = backend.NewTensor(tokens, D);
                using var y = backend.NewTensor(tokens, 96);
                using var y2 = backend.NewTensor(tokens, 96);
                var input = TestData.RandomFloats(tokens * D, 5);
                void Step()
                {
                    backend.Write(x, input);
                    backend.RmsNorm(x, norm, 1e-5f, h);
                    backend.MatMul(h, bf16, y);
                    backend.MatMul(h, int4, y2);
                    backend.SiluMul(y, y2, y);
                    backend.Add(h, x);
                    backend.Route(h, moe, ids.AsSpan(0, tokens * TopK), weights.AsSpan(0, tokens * TopK));
                    backend.RoutedExperts(h, moe, x);
                }
                for (int i = 0; i < 40; i++) Step();
                long allocated = long.MaxValue;
                for (int window = 0; window < 3 && allocated > 0; window++)
                {
                    long before = GC.GetAllocatedBytesForCurrentThread();
                    for (int i = 0; i < 3; i++) Step();
                    allocated = Math.Min(allocated, GC.GetAllocatedBytesForCurrentThread() - before);
                }
                Assert.True(
                    allocated == 0,
                    $"{activations}, T={tokens}, {(singleThread ? "one thread" : "shared pool")}: "
                    + $"{allocated} bytes allocated by 3 warm steps");
            }
        }
        finally
        {
            foreach (var m in mats) m.Dispose();
        }
    }
}

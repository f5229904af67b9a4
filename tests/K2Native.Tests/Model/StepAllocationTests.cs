// A warm decode step of the whole model (embedding, every layer with paged attention and the MoE, lm_head)
// allocates nothing: the workspace, the cache and every kernel buffer are reused. Measured as in
// AllocationTests (cleanest of three windows, a one-thread pool so all work is on the measured thread).
using K2Native.Backends;
using K2Native.Backends.Cpu;
using K2Native.Checkpoint;
using K2Native.Model;
using K2Native.Tests.Support;

namespace K2Native.Tests.Model;

public sealed class StepAllocationTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void WarmDecodeStepAllocatesNothing()
    {
        CheckpointFactory.Write(_dir.Path, seed: 41);
        using var checkpoint = K2Checkpoint.Open(_dir.Path);
        var c = checkpoint.Config;
        using var pool = new WorkerPool(1);
        using var model = K2Model.Load(checkpoint, new CpuBackend(Simd.Best, pool, CpuBackend.DefaultInt4Activations));
        using var cache = model.NewKvCache(16, 16, KvCacheDType.F32);
        var batch = new StepBatch(1, 1, 16);
        for (int b = 0; b < 16; b++) batch.BlockTable(0)[b] = b;
        var logits = new float[c.VocabSize];
        int position = 0;
        void Decode()
        {
            batch.Clear();
            batch.Add((position * 7 + 3) % c.VocabSize, position, position, 0, wantLogits: true);
            model.Step(batch, cache, logits);
            position++;
        }
        for (int i = 0; i < 60; i++) Decode();
        long allocated = long.MaxValue;
        for (int window = 0; window < 3 && allocated > 0; window++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 5; i++) Decode();
            allocated = Math.Min(allocated, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        Assert.True(allocated == 0, $"{allocated} bytes allocated by 5 warm decode steps");
    }
}

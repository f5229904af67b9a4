// The paged generation path (absorbed MLA over the latent cache) against the expanded full forward pass:
// feeding a sequence step by step, or in chunks, through the cache must give the logits of one causal pass,
// for any block size, blocks scattered over the pool, and both cache element types.
using K2Native.Backends;
using K2Native.Backends.Cpu;
using K2Native.Checkpoint;
using K2Native.Model;
using K2Native.Tests.Support;

namespace K2Native.Tests.Model;

public sealed class PagedStepTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    public static TheoryData<int, int, int> Cases() => new()
    {
        // block size, prompt tokens fed in the first step, total tokens
        { 1, 1, 23 },
        { 16, 1, 37 },
        { 16, 13, 37 },
        { 64, 1, 70 },
        { 64, 65, 130 },
        { 7, 20, 45 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void StepwiseDecodeEqualsFullForward(int blockSize, int firstChunk, int total)
    {
        CheckpointFactory.Write(_dir.Path, seed: 11);
        using var checkpoint = K2Checkpoint.Open(_dir.Path);
        var ids = Enumerable.Range(0, total).Select(i => (i * 197 + 5) % checkpoint.Config.VocabSize).ToArray();
        // Float32 INT4 activations isolate the attention paths; the default int16 quantization of activations
        // rounds the tiny differences between them into slightly larger ones.
        foreach (var width in Simd.Supported())
        {
            foreach (var (activations, tolerance) in new[]
                { (Int4Activations.Float32, 2e-5), (CpuBackend.DefaultInt4Activations, 1e-4) })
            {
                var (full, stepped) = Run(
                    checkpoint, new CpuBackend(width, activations), ids, blockSize, firstChunk, KvCacheDType.F32);
                double error = TestData.RelativeL2(stepped, full);
                Assert.True(
                    error < tolerance,
                    $"block {blockSize}, first chunk {firstChunk}, {width}, {activations}: relative L2 {error:E2}");
            }
        }
    }

    [Fact]
    public void Bf16CacheStaysWithinBf16Tolerance()
    {
        CheckpointFactory.Write(_dir.Path, seed: 12);
        using var checkpoint = K2Checkpoint.Open(_dir.Path);
        var ids = Enumerable.Range(0, 40).Select(i => (i * 31 + 2) % checkpoint.Config.VocabSize).ToArray();
        var (full, stepped) = Run(checkpoint, new CpuBackend(), ids, 16, 9, KvCacheDType.Bf16);
        double error = TestData.RelativeL2(stepped, full);
        Assert.True(error < 1e-2, $"bf16 cache: relative L2 {error:E2}");
        Assert.True(error > 0, "bf16 rounding should be visible");
    }

    [SharedFact]
    public void FixtureStepwiseDecodeMatchesTransformers()
    {
        var (ids, reference) = FixtureLogitsTests.LoadReference();
        using var checkpoint = K2Checkpoint.Open(SharedFixtures.TinyK2);
        var (_, stepped) = Run(checkpoint, new CpuBackend(), ids, 16, 5, KvCacheDType.F32);
        Assert.True(TestData.RelativeL2(stepped, reference) <= 1e-3);
        Assert.True(TestData.TopOneAgreement(stepped, reference, checkpoint.Config.VocabSize) >= 0.99);
    }

    /// <summary>Full-forward logits and the logits of feeding <paramref name="ids"/> through the cache (first chunk,
    /// then one by one).</summary>
    internal static (float[] Full, float[] Stepped) Run(
        K2Checkpoint checkpoint, Backend backend, int[] ids, int blockSize, int firstChunk, KvCacheDType dtype)
    {
        var c = checkpoint.Config;
        using var model = K2Model.Load(checkpoint, backend);
        var full = new float[ids.Length * c.VocabSize];
        model.Forward(ids, full);

        int blocks = (ids.Length + blockSize - 1) / blockSize;
        // The sequence's blocks lie backwards at the end of a larger pool, so every read goes through the table.
        int pool = blocks + 3;
        int[] table = Enumerable.Range(0, blocks).Select(i => pool - 1 - i).ToArray();
        using var cache = model.NewKvCache(pool, blockSize, dtype);
        var batch = new StepBatch(Math.Max(firstChunk, 1), 1, blocks);
        table.CopyTo(batch.BlockTable(0));

        var stepped = new float[ids.Length * c.VocabSize];
        int done = 0;
        while (done < ids.Length)
        {
            int n = done == 0 ? firstChunk : 1;
            batch.Clear();
            for (int i = done; i < done + n; i++)
                batch.Add(ids[i], i, table[i / blockSize] * blockSize + i % blockSize, 0, wantLogits: true);
            model.Step(batch, cache, stepped.AsSpan(done * c.VocabSize, n * c.VocabSize));
            done += n;
        }
        return (full, stepped);
    }
}

// `k2 bench kernels` rows for absorbed MLA decode: one query token (64 heads) against S cached entries of
// [c (512) | k_pe (64)] through the paged cache (Backend.PagedAttention), rotating over enough sequences that
// the cache read comes from memory. The work is 2·H·S·(576 + 512) flops over S·576 cached values: at 64 heads
// about 60 flops per byte of an f32 cache, so on a CPU this kernel is bound by the math rate, not by memory.
using K2Native.Backends;

namespace K2Bench.Bench.Kernels;

internal sealed class MlaAttentionBench(
    string name, int heads, int rkv, int rope, int keys, KvCacheDType dtype, long rotationBytes) : IKernelBench
{
    private const int BlockSize = 64;
    private Backend? _backend;
    private KvCacheStorage? _cache;
    private AttentionBatch[] _batches = [];
    private Tensor? _qLatent;
    private Tensor? _q;
    private Tensor? _o;
    private AttentionShape? _shape;

    public string Name => name;

    public string Shape => $"H={heads}, [{rkv} + {rope}] {(dtype == KvCacheDType.F32 ? "f32" : "bf16")} entries, "
        + $"S={keys}, T=1, block {BlockSize}";

    private long CacheBytes => (long)keys * (rkv + rope) * (dtype == KvCacheDType.F32 ? 4 : 2);

    public long BytesPerCall => CacheBytes + 4L * heads * (2 * rkv + rope);

    public double FlopsPerCall => 2.0 * heads * keys * (rkv + rope + rkv);

    public int CallsPerSample => _batches.Length;

    public void Prepare(Backend backend)
    {
        _backend = backend;
        int sequences = BenchWeights.CopiesFor(CacheBytes, rotationBytes);
        int blocksPerSequence = (keys + BlockSize - 1) / BlockSize;
        _cache = backend.NewKvCache(new KvCacheLayout(1, sequences * blocksPerSequence, BlockSize, rkv, rope, dtype));
        var tables = Enumerable.Range(0, sequences * blocksPerSequence).ToArray();
        _batches = Enumerable.Range(0, sequences).Select(s =>
            new AttentionBatch([s], [keys], tables, blocksPerSequence) { Tokens = 1 }).ToArray();
        const int Chunk = 4096;
        using var latent = backend.NewTensor(Chunk, rkv);
        using var kpe = backend.NewTensor(Chunk, rope);
        backend.Write(latent, BenchWeights.Gaussian(Chunk * rkv, 3, 1f));
        backend.Write(kpe, BenchWeights.Gaussian(Chunk * rope, 4, 1f));
        var slots = new int[Chunk];
        long total = (long)sequences * blocksPerSequence * BlockSize;
        for (long first = 0; first < total; first += Chunk)
        {
            int n = (int)Math.Min(Chunk, total - first);
            for (int i = 0; i < n; i++) slots[i] = (int)(first + i);
            backend.WriteKv(_cache, 0, latent.Take(n), kpe.Take(n), slots.AsSpan(0, n));
        }
        _shape = new AttentionShape(heads, 128, rope, 128, 1f / MathF.Sqrt(192));
        _qLatent = backend.NewTensor(1, heads * rkv);
        _q = backend.NewTensor(1, heads * _shape.QueryHeadDim);
        _o = backend.NewTensor(1, heads * rkv);
        backend.Write(_qLatent, BenchWeights.Gaussian(heads * rkv, 5, 0.05f));
        backend.Write(_q, BenchWeights.Gaussian(heads * _shape.QueryHeadDim, 6, 1f));
    }

    public void Call(int index) => _backend!.PagedAttention(_qLatent!, _q!, _cache!, 0, _batches[index], _shape!, _o!);

    public void Dispose()
    {
        _cache?.Dispose();
        _qLatent?.Dispose();
        _q?.Dispose();
        _o?.Dispose();
    }
}

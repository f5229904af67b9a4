// Backend comparison cases of attention: the expanded causal form, the query absorption and value expansion of
// absorbed MLA (bf16 and INT4 kv_b), and the paged cache: entries written through slots of scattered blocks, then
// attended with key counts that are not multiples of the block size, block size 1, float32 and bf16 entries, and
// long contexts that split into many chunks.
using K2Native.Backends;
using K2Native.Checkpoint;

namespace K2Native.Backends.Verification;

internal static partial class BackendComparison
{
    private static IEnumerable<ComparisonCase> AttentionCases()
    {
        var tiny = new AttentionShape(4, 32, 16, 32, 0.2f);
        var k2 = new AttentionShape(64, 128, 64, 128, 0.1f);
        yield return Causal("causal attention T=1 (tiny heads)", tiny, 1);
        yield return Causal("causal attention T=37 (tiny heads)", tiny, 37);
        yield return Causal("causal attention T=9 (K2 heads 64 x 128/64/128)", k2, 9);
        foreach (var format in new[] { WeightFormat.Bf16, WeightFormat.Int4, WeightFormat.Fp8 })
        {
            yield return Absorb($"absorb query and expand values, tiny, kv_b {format}", tiny, 32, 5, format);
            yield return Absorb($"absorb query and expand values, K2 (latent 512), kv_b {format}", k2, 512, 3, format);
        }
        foreach (var dtype in new[] { KvCacheDType.F32, KvCacheDType.Bf16 })
        {
            yield return Paged(
                $"paged attention {dtype} block 16, keys 1..40, 3 sequences", tiny, 32, 16, dtype, [1, 17, 40, 16, 3]);
            yield return Paged($"paged attention {dtype} block 1, keys 1..9", tiny, 32, 1, dtype, [1, 9, 4]);
            yield return Paged(
                $"paged attention {dtype} block 7, keys 700 and 5000 (many chunks)", tiny, 32, 7, dtype,
                [700, 5000, 257]);
            yield return Paged(
                $"paged attention {dtype} K2 entries 512+64, block 64, keys 1000", k2, 512, 64, dtype, [1000, 63]);
        }
    }

    private static ComparisonCase Causal(string name, AttentionShape s, int tokens) => new(name, (r, c) =>
    {
        using var data = new HostData((ulong)tokens * 31 + (ulong)s.Heads);
        int qCols = s.Heads * s.QueryHeadDim, kvCols = s.Heads * s.KvHeadDim;
        var (q, kv, kpe) = (data.Floats(tokens * qCols), data.Floats(tokens * kvCols), data.Floats(tokens * s.RopeDim));
        var positions = Enumerable.Range(0, tokens).ToArray();
        return Compare(
            name, 1e-5, r, c,
            b => Run(
                b, [(tokens, qCols, q), (tokens, kvCols, kv), (tokens, s.RopeDim, kpe)], tokens, s.Heads * s.ValueDim,
                (i, o) => b.CausalAttention(i[0], i[1], i[2], s, positions, o)));
    });

    private static ComparisonCase Absorb(
        string name, AttentionShape s, int latent, int tokens, WeightFormat format) => new(name, (r, c) =>
    {
        using var data = new HostData((ulong)latent * 7 + (ulong)tokens + (ulong)format);
        MatrixSource kvB = data.Matrix(format, s.Heads * s.KvHeadDim, latent);
        int qCols = s.Heads * s.QueryHeadDim, latCols = s.Heads * latent;
        var (q, oLatent) = (data.Floats(tokens * qCols), data.Floats(tokens * latCols));
        return Compare(name, 1e-5, r, c, b =>
        {
            var w = b.Load(kvB);
            var absorbed = Run(b, [(tokens, qCols, q)], tokens, latCols, (i, o) => b.AbsorbQuery(i[0], w, s, o));
            var expanded = Run(
                b, [(tokens, latCols, oLatent)], tokens, s.Heads * s.ValueDim, (i, o) => b.ExpandValues(i[0], w, s, o));
            return [.. absorbed, .. expanded];
        });
    });

    private static ComparisonCase Paged(
        string name, AttentionShape s, int latent, int blockSize, KvCacheDType dtype, int[] keyCounts) =>
        new(name, (r, c) =>
    {
        using var data = new HostData((ulong)blockSize * 131 + (ulong)keyCounts.Sum());
        int sequences = keyCounts.Length,
            maxKeys = keyCounts.Max(),
            tableStride = (maxKeys + blockSize - 1) / blockSize;
        int blocks = sequences * tableStride + 3;
        // Blocks handed out in a scrambled order so that no sequence's blocks are contiguous.
        var pool = Enumerable.Range(0, blocks).OrderBy(i => (i * 7919L) % blocks).ToArray();
        var tables = new int[sequences * tableStride];
        for (int i = 0; i < tables.Length; i++) tables[i] = pool[i];
        int stored = keyCounts.Sum();
        var slots = new int[stored];
        for (int seq = 0, n = 0; seq < sequences; seq++)
            for (int k = 0; k < keyCounts[seq]; k++)
                slots[n++] = tables[seq * tableStride + k / blockSize] * blockSize + k % blockSize;
        var (entriesLatent, entriesRope) = (data.Floats(stored * latent), data.Floats(stored * s.RopeDim));
        // One query token per sequence, attending to all of its keys.
        var batch = new AttentionBatch(Enumerable.Range(0, sequences).ToArray(), keyCounts, tables, tableStride)
        {
            Tokens = sequences
        };
        int qCols = s.Heads * s.QueryHeadDim, latCols = s.Heads * latent;
        var (q, qLatent) = (data.Floats(sequences * qCols), data.Floats(sequences * latCols, 0.3f));
        var layout = new KvCacheLayout(2, blocks, blockSize, latent, s.RopeDim, dtype);
        return Compare(name, 1e-5, r, c, b =>
        {
            using var cache = b.NewKvCache(layout);
            using var lat = b.NewTensor(stored, latent);
            using var rope = b.NewTensor(stored, s.RopeDim);
            b.Write(lat, entriesLatent);
            b.Write(rope, entriesRope);
            b.WriteKv(cache, 1, lat, rope, slots);
            return Run(b, [(sequences, latCols, qLatent), (sequences, qCols, q)], sequences, latCols,
                (i, o) => b.PagedAttention(i[0], i[1], cache, 1, batch, s, o));
        });
    });
}

// Absorbed multi-head latent attention over the paged cache (K2-SPEC section 2, "absorbed decode"): token t,
// head h: score(s) = (qLatent[h]·c[s] + qRope[h]·k_pe[s])·scale over the token's first KeyCounts[t] entries,
// softmax, oLatent[h] = Σ p(s)·c[s]. Every head reads the same 576-value entries, so a tile of keys is
// fetched once and used by all heads of a work item; the scores of 4 heads x 4 keys are formed together
// (AttentionTile.cs) so each loaded vector feeds four multiply-adds.
//
// Batch invariance: a token's output depends only on its query and its keys, never on how many tokens share
// the step or how many threads run it. Keys are cut into chunks whose size depends only on the key count; a
// chunk yields a partial (max, sum, Σ p·c) built tile by tile with an online softmax, and partials are merged
// left to right. With few tokens the chunks run in parallel and are merged afterwards; with many, each work
// item walks its token's chunks in order. Both do the same arithmetic in the same order, so prefix reuse and
// batching cannot change a generated token.
namespace K2Native.Backends.Cpu;

internal static unsafe class PagedAttentionKernel
{
    private const int MinChunk = 256;
    private const int MaxChunks = 64;

    /// <summary>Keys per chunk for a token that sees <paramref name="keys"/> entries.</summary>
    public static int ChunkSize(int keys)
    {
        int perChunk = (keys + MaxChunks - 1) / MaxChunks;
        return Math.Max(MinChunk, (perChunk + AttentionTile.Keys - 1) / AttentionTile.Keys * AttentionTile.Keys);
    }

    public static void Run(
        StridedView qLatent,
        StridedView q,
        CpuKvCache cache,
        int layer,
        AttentionBatch batch,
        AttentionShape shape,
        StridedView oLatent,
        KernelContext context)
    {
        var layout = cache.Layout;
        int tokens = batch.Tokens, heads = shape.Heads, rkv = layout.LatentDim;

        var pool = context.Pool;
        var job = new Job(new AttentionTile(qLatent, q, cache, layer, batch, shape, oLatent, context.Width));
        if (tokens >= 2 * pool.Threads)
        {
            job.Phase = Phase.WholeTokens;
            pool.Run(ref job, tokens);
            return;
        }

        // Few tokens: every (token, chunk, head group) is a work item; partials are merged per (token, head group).
        int* chunkStart = context.AttentionOffsets.Get<int>(tokens + 1);
        chunkStart[0] = 0;
        for (int t = 0; t < tokens; t++)
        {
            int keys = batch.KeyCounts[t];
            chunkStart[t + 1] = chunkStart[t] + (keys + ChunkSize(keys) - 1) / ChunkSize(keys);
        }
        int chunks = chunkStart[tokens];
        job.Groups = Math.Clamp((4 * pool.Threads + chunks - 1) / chunks, 1, heads);
        job.Partials = context.AttentionPartials.Get<float>(chunks * job.Tile.PartialStride);
        job.ChunkStart = chunkStart;
        job.Phase = Phase.Chunks;
        pool.Run(ref job, chunks * job.Groups);
        job.Phase = Phase.Merge;
        pool.Run(ref job, tokens * job.Groups);
    }

    private enum Phase { WholeTokens, Chunks, Merge }

    private struct Job(AttentionTile tile) : IParallelJob
    {
        public readonly AttentionTile Tile = tile;
        public Phase Phase;
        public int Groups;
        public float* Partials;
        public int* ChunkStart;

        public readonly void Execute(int item)
        {
            switch (Phase)
            {
                case Phase.WholeTokens:
                    WholeToken(item);
                    break;
                case Phase.Chunks:
                    ChunkItem(item / Groups, item % Groups);
                    break;
                default:
                    MergeItem(item / Groups, item % Groups);
                    break;
            }
        }

        /// <summary>All heads of token t, its chunks in order, merged as they come.</summary>
        private readonly void WholeToken(int t)
        {
            int keys = Tile.Batch.KeyCounts[t], chunk = ChunkSize(keys), heads = Tile.Heads;
            long stride = Tile.PartialStride;
            float* scratch = ThreadScratch.Get(2 * stride + Tile.WorkFloats);
            float* running = scratch, next = scratch + stride, work = next + stride;
            Tile.Chunk(t, 0, Math.Min(keys, chunk), 0, heads, running, work);
            for (int s0 = chunk; s0 < keys; s0 += chunk)
            {
                Tile.Chunk(t, s0, Math.Min(keys, s0 + chunk), 0, heads, next, work);
                for (int h = 0; h < heads; h++) Tile.Merge(running, next, h);
            }
            Tile.Finish(t, running, 0, heads);
        }

        private readonly void ChunkItem(int globalChunk, int group)
        {
            int t = 0;
            while (ChunkStart[t + 1] <= globalChunk) t++;
            int keys = Tile.Batch.KeyCounts[t], chunk = ChunkSize(keys);
            int s0 = (globalChunk - ChunkStart[t]) * chunk;
            var (h0, h1) = HeadRange(group);
            Tile.Chunk(
                t,
                s0,
                Math.Min(keys, s0 + chunk),
                h0,
                h1,
                Partials + globalChunk * Tile.PartialStride,
                ThreadScratch.Get(Tile.WorkFloats));
        }

        private readonly void MergeItem(int t, int group)
        {
            var (h0, h1) = HeadRange(group);
            float* running = Partials + ChunkStart[t] * Tile.PartialStride;
            for (int c = ChunkStart[t] + 1; c < ChunkStart[t + 1]; c++)
                for (int h = h0; h < h1; h++) Tile.Merge(running, Partials + c * Tile.PartialStride, h);
            Tile.Finish(t, running, h0, h1);
        }

        private readonly (int H0, int H1) HeadRange(int group) =>
            (group * Tile.Heads / Groups, (group + 1) * Tile.Heads / Groups);
    }
}

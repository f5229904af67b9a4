// The rows of `k2 bench kernels`, at K2 Thinking's shapes (K2-SPEC sections 1 and 6): hidden 7168, experts of
// 2048 (INT4, group 32), 8 of 384 routed per token, MLA with 64 heads (q_b [64·192, 1536], kv_b [64·256, 512],
// o_proj [7168, 64·128]), vocabulary 163840; and the FP8 rows of K2 Instruct/Base, whose dimensions are the same
// (every attention and expert matrix FP8 e4m3 with 128x128 block scales). New kernels register here (one factory per
// row).
using K2Native.Backends;
using K2Native.Checkpoint;

namespace K2Bench.Bench.Kernels;

internal static class KernelBenches
{
    public const int Hidden = 7168, Inner = 2048, Experts = 384, TopK = 8, Heads = 64, QLora = 1536, KvLora = 512,
        RopeDim = 64, Vocab = 163840;

    /// <summary>Every row, built lazily so only one row's weights are in memory at a time.</summary>
    public static IEnumerable<Func<IKernelBench>> All(long rotationBytes, bool lmHead)
    {
        foreach (int t in new[] { 1, 4, 16 })
        {
            yield return () => new MatMulBench(
                $"int4-expert-gate-up", WeightFormat.Int4, Inner, Hidden, t, rotationBytes);
            yield return () => new MatMulBench($"int4-expert-down", WeightFormat.Int4, Hidden, Inner, t, rotationBytes);
        }
        yield return () => new RoutedExpertsBench(
            "routed-experts-step", WeightFormat.Int4, Hidden, Inner, Experts, TopK, 1, rotationBytes);
        yield return () => new RoutedExpertsBench(
            "routed-experts-step", WeightFormat.Int4, Hidden, Inner, Experts, TopK, 4, rotationBytes);
        yield return () => new SharedExpertBench("shared-expert-bf16", Hidden, Inner, 1, rotationBytes);
        yield return () => new MatMulBench("q_b-bf16", WeightFormat.Bf16, Heads * 192, QLora, 1, rotationBytes);
        yield return () => new MatMulBench("kv_b-bf16", WeightFormat.Bf16, Heads * 256, KvLora, 1, rotationBytes);
        yield return () => new MatMulBench("o_proj-bf16", WeightFormat.Bf16, Hidden, Heads * 128, 1, rotationBytes);
        yield return () => new MatMulBench("q_a-bf16", WeightFormat.Bf16, QLora, Hidden, 1, rotationBytes);
        foreach (int t in new[] { 1, 4 })
        {
            yield return () => new MatMulBench("fp8-expert-gate-up", WeightFormat.Fp8, Inner, Hidden, t, rotationBytes);
            yield return () => new MatMulBench("fp8-expert-down", WeightFormat.Fp8, Hidden, Inner, t, rotationBytes);
        }
        yield return () => new RoutedExpertsBench(
            "fp8-routed-experts-step", WeightFormat.Fp8, Hidden, Inner, Experts, TopK, 1, rotationBytes);
        yield return () => new MatMulBench("q_b-fp8", WeightFormat.Fp8, Heads * 192, QLora, 1, rotationBytes);
        yield return () => new MatMulBench("kv_b-fp8", WeightFormat.Fp8, Heads * 256, KvLora, 1, rotationBytes);
        yield return () => new MatMulBench("o_proj-fp8", WeightFormat.Fp8, Hidden, Heads * 128, 1, rotationBytes);
        yield return () => new MatMulBench("q_a-fp8", WeightFormat.Fp8, QLora, Hidden, 1, rotationBytes);
        if (lmHead) yield return () => new MatMulBench("lm_head-bf16", WeightFormat.Bf16, Vocab, Hidden, 1, 0);
        foreach (int keys in new[] { 4096, 32768 })
            foreach (var dtype in new[] { KvCacheDType.F32, KvCacheDType.Bf16 })
                yield return () => new MlaAttentionBench(
                    "mla-paged-attention", Heads, KvLora, RopeDim, keys, dtype, rotationBytes);
        yield return () => new DispatchBench();
    }

    /// <summary>Bytes the lm_head row allocates (one copy: 2.3 GB is far beyond any cache).</summary>
    public const long LmHeadBytes = 2L * Vocab * Hidden;
}

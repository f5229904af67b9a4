// Absorbed MLA over the paged cache, split-K. Token t's keys are cut into chunks whose size depends only on its key
// count (at least 256 keys, at most 64 chunks), so its result never depends on the batch. Kernel 1: one block per
// (8 heads, chunk, token) stages the 8 heads' queries [q_latent | q_rope] and tiles of 8 cache entries (through
// the block table, bf16 widened) in shared memory, forms the 64 scores with warp dot products, folds them into a
// running max/sum per head (online softmax) and accumulates Σ p·c in registers; it writes (max, sum, acc) per head.
// Kernel 2: one block per (head, token) merges the chunks in order. Invalid tables give NaN, never a stray read.
// The partials of one token take splits x heads x (latent + 2) floats (8.4 MB for K2 at 16K keys), so a step runs
// in launches of at most kWorkspaceBudget bytes of partials each: the workspace no longer grows with the token
// count (it was tokens x that: 2.1 GB for 256 tokens over 16K keys). Each token's arithmetic is the same whichever
// launch it lands in, so results stay batch-invariant.
#include <cmath>

#include "mla_decode.cuh"

namespace k2 {

namespace {

constexpr int kThreads = 256;
constexpr int kHeads = 8;        // heads per block
constexpr int kKeys = 8;         // cache entries per shared-memory tile
constexpr int kMinChunk = 256;
constexpr int kMaxSplits = 64;
constexpr int kMaxWidth = K2_MAX_LATENT_DIM + K2_MAX_ROPE_DIM;
constexpr int kAccPerThread = kHeads * K2_MAX_LATENT_DIM / kThreads;
constexpr size_t kWorkspaceBudget = size_t{256} << 20;

static_assert(kHeads * kKeys % (kThreads / 32) == 0, "mla_decode: score pairs must split evenly over the warps");
static_assert(kHeads * K2_MAX_LATENT_DIM % kThreads == 0,
              "mla_decode: accumulators must split evenly over the threads");
static_assert(kMinChunk % kKeys == 0, "mla_decode: chunks are whole tiles");

__host__ __device__ inline int32_t chunk_size(int32_t keys)
{
    int32_t per_chunk = (keys + kMaxSplits - 1) / kMaxSplits;
    per_chunk = (per_chunk + kKeys - 1) / kKeys * kKeys;
    return per_chunk > kMinChunk ? per_chunk : kMinChunk;
}

__host__ __device__ inline int32_t grid_splits(int32_t max_key_count)
{
    int32_t splits = (max_key_count + kMinChunk - 1) / kMinChunk;
    return splits < kMaxSplits ? splits : kMaxSplits;
}

__device__ inline bool token_valid(const DecodeArgs& a, int32_t t, int32_t* keys_out, int32_t* seq_out)
{
    const int32_t keys = a.key_counts[t], seq = a.token_sequence[t];
    *keys_out = keys;
    *seq_out = seq;
    return keys >= 1 && keys <= a.max_key_count && seq >= 0 && seq < a.sequences
        && (static_cast<int64_t>(keys) + a.cache.block_size - 1) / a.cache.block_size <= a.block_table_stride;
}

__device__ inline float cache_value(const KvCacheView& c, int64_t index)
{
    if (c.dtype == K2_KV_BF16) return bf16_to_float(static_cast<const uint16_t*>(c.data)[index]);
    return static_cast<const float*>(c.data)[index];
}

// Partials of token t live at index t - token0 (the first token of the launch).
__global__ void __launch_bounds__(kThreads)
    mla_split_kernel(DecodeArgs a, float* partials, int32_t splits_in_grid, int32_t token0)
{
    __shared__ float query[kHeads][kMaxWidth];
    __shared__ float entries[kKeys][kMaxWidth + 1];   // +1: keys of one column fall in different banks
    __shared__ float probabilities[kHeads][kKeys];
    __shared__ float running_max[kHeads], running_sum[kHeads], correction[kHeads];
    __shared__ int bad_block;

    const int32_t t = token0 + blockIdx.z, split = blockIdx.y, h0 = blockIdx.x * kHeads;
    const int32_t hn = min(kHeads, a.heads - h0);
    int32_t keys, seq;
    if (!token_valid(a, t, &keys, &seq)) return;   // the combine writes NaN for this token
    const int32_t chunk = chunk_size(keys);
    if (split * chunk >= keys) return;
    const int32_t s0 = split * chunk, s1 = min(keys, s0 + chunk);
    const int32_t latent = a.cache.latent_dim, width = a.cache.width();
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;

    for (int32_t e = threadIdx.x; e < hn * width; e += kThreads) {
        const int32_t h = e / width, i = e % width;
        query[h][i] = i < latent ? a.q_latent[t * a.q_latent_stride + static_cast<int64_t>(h0 + h) * latent + i]
                                 : a.q[t * a.q_stride + static_cast<int64_t>(h0 + h) * (a.nope_dim + a.rope_dim)
                                       + a.nope_dim + (i - latent)];
    }
    if (threadIdx.x < kHeads) {
        running_max[threadIdx.x] = -INFINITY;
        running_sum[threadIdx.x] = 0.0f;
    }
    if (threadIdx.x == 0) bad_block = 0;
    float acc[kAccPerThread];
#pragma unroll
    for (int j = 0; j < kAccPerThread; j++) acc[j] = 0.0f;
    const int32_t* table = a.block_tables + static_cast<int64_t>(seq) * a.block_table_stride;
    const int64_t layer_base = static_cast<int64_t>(a.layer) * a.cache.slots;
    __syncthreads();

    for (int32_t tile0 = s0; tile0 < s1; tile0 += kKeys) {
        const int32_t n = min(kKeys, s1 - tile0);
        for (int32_t e = threadIdx.x; e < n * width; e += kThreads) {
            const int32_t j = e / width, i = e % width, s = tile0 + j;
            const int32_t block = table[s / a.cache.block_size];
            float v = 0.0f;
            if (block >= 0 && block < a.cache.blocks) {
                const int64_t slot = static_cast<int64_t>(block) * a.cache.block_size + s % a.cache.block_size;
                v = cache_value(a.cache, (layer_base + slot) * width + i);
            } else {
                atomicOr(&bad_block, 1);
            }
            entries[j][i] = v;
        }
        __syncthreads();
        for (int p = warp; p < kHeads * kKeys; p += kThreads / 32) {
            const int h = p / kKeys, j = p % kKeys;
            if (h >= hn || j >= n) continue;
            float dot = 0.0f;
            for (int32_t i = lane; i < width; i += 32) dot = fmaf(query[h][i], entries[j][i], dot);
            dot = warp_sum(dot);
            if (lane == 0) probabilities[h][j] = dot * a.scale;
        }
        __syncthreads();
        if (threadIdx.x < hn) {
            const int h = threadIdx.x;
            float tile_max = -INFINITY;
            for (int j = 0; j < n; j++) tile_max = fmaxf(tile_max, probabilities[h][j]);
            const float old_max = running_max[h], new_max = fmaxf(old_max, tile_max);
            const float c = old_max == -INFINITY ? 0.0f : expf(old_max - new_max);
            float tile_sum = 0.0f;
            for (int j = 0; j < n; j++) {
                const float p = expf(probabilities[h][j] - new_max);
                probabilities[h][j] = p;
                tile_sum += p;
            }
            running_sum[h] = running_sum[h] * c + tile_sum;
            running_max[h] = new_max;
            correction[h] = c;
        }
        __syncthreads();
#pragma unroll
        for (int jj = 0; jj < kAccPerThread; jj++) {
            const int32_t e = threadIdx.x + jj * kThreads, h = e / latent, r = e % latent;
            if (h < hn) {
                float sum = acc[jj] * correction[h];
                for (int j = 0; j < n; j++) sum = fmaf(probabilities[h][j], entries[j][r], sum);
                acc[jj] = sum;
            }
        }
        __syncthreads();
    }

    const int64_t stride = latent + 2;
    float* base = partials + ((static_cast<int64_t>(t - token0) * splits_in_grid + split) * a.heads + h0) * stride;
    if (threadIdx.x < hn) {
        base[threadIdx.x * stride] = bad_block ? NAN : running_max[threadIdx.x];
        base[threadIdx.x * stride + 1] = running_sum[threadIdx.x];
    }
#pragma unroll
    for (int jj = 0; jj < kAccPerThread; jj++) {
        const int32_t e = threadIdx.x + jj * kThreads, h = e / latent, r = e % latent;
        if (h < hn) base[h * stride + 2 + r] = acc[jj];
    }
}

__global__ void mla_combine_kernel(DecodeArgs a, const float* partials, int32_t splits_in_grid, int32_t token0)
{
    const int32_t h = blockIdx.x, t = token0 + blockIdx.y;
    const int32_t latent = a.cache.latent_dim;
    float* out = a.o_latent + t * a.o_latent_stride + static_cast<int64_t>(h) * latent;
    int32_t keys, seq;
    if (!token_valid(a, t, &keys, &seq)) {
        for (int32_t r = threadIdx.x; r < latent; r += blockDim.x) out[r] = NAN;
        return;
    }
    const int32_t splits = (keys + chunk_size(keys) - 1) / chunk_size(keys);
    const int64_t stride = latent + 2;
    const float* first = partials + (static_cast<int64_t>(t - token0) * splits_in_grid * a.heads + h) * stride;
    const int64_t split_stride = static_cast<int64_t>(a.heads) * stride;
    float max = -INFINITY;
    bool bad = false;
    for (int32_t i = 0; i < splits; i++) {
        const float m = first[i * split_stride];
        bad |= m != m;
        max = fmaxf(max, m);
    }
    float total = 0.0f;
    for (int32_t i = 0; i < splits; i++) total += first[i * split_stride + 1] * expf(first[i * split_stride] - max);
    const float inv = 1.0f / total;
    for (int32_t r = threadIdx.x; r < latent; r += blockDim.x) {
        float sum = 0.0f;
        for (int32_t i = 0; i < splits; i++)
            sum = fmaf(first[i * split_stride + 2 + r], expf(first[i * split_stride] - max), sum);
        out[r] = bad ? NAN : sum * inv;
    }
}

// Bytes of one token's partials.
size_t token_partial_bytes(int32_t heads, int32_t latent_dim, int32_t max_key_count)
{
    return sizeof(float) * static_cast<size_t>(grid_splits(max_key_count)) * heads * (latent_dim + 2);
}

}  // namespace

int32_t decode_tokens_per_launch(int32_t heads, int32_t latent_dim, int32_t tokens, int32_t max_key_count)
{
    const size_t per_token = token_partial_bytes(heads, latent_dim, max_key_count);
    const size_t fit = per_token == 0 ? static_cast<size_t>(tokens) : kWorkspaceBudget / per_token;
    const size_t group = fit < 1 ? 1 : fit;
    return static_cast<int32_t>(group < static_cast<size_t>(tokens) ? group : static_cast<size_t>(tokens));
}

size_t decode_workspace_bytes(int32_t heads, int32_t latent_dim, int32_t tokens, int32_t max_key_count)
{
    return token_partial_bytes(heads, latent_dim, max_key_count)
           * decode_tokens_per_launch(heads, latent_dim, tokens, max_key_count);
}

int32_t launch_mla_decode(const DecodeArgs& a, float* workspace, size_t workspace_bytes, cudaStream_t stream)
{
    if (a.cache.latent_dim > K2_MAX_LATENT_DIM || a.cache.rope_dim > K2_MAX_ROPE_DIM)
        return fail(K2_ERR_UNSUPPORTED,
                    "mla_decode: cache entries %d + %d exceed K2_MAX_LATENT_DIM (%d) + K2_MAX_ROPE_DIM (%d)",
                    a.cache.latent_dim, a.cache.rope_dim, K2_MAX_LATENT_DIM, K2_MAX_ROPE_DIM);
    if (a.tokens > 65535 || ceil_div(a.heads, kHeads) > 65535)
        return fail(K2_ERR_UNSUPPORTED, "mla_decode: %d tokens x %d heads exceed the grid (65535 tokens)", a.tokens,
                    a.heads);
    if (a.tokens == 0 || a.heads == 0) return K2_OK;
    const int32_t splits = grid_splits(a.max_key_count);
    const size_t needed = decode_workspace_bytes(a.heads, a.cache.latent_dim, a.tokens, a.max_key_count);
    if (workspace_bytes < needed || (needed > 0 && workspace == nullptr))
        return fail(K2_ERR_WORKSPACE, "mla_decode: workspace of %zu bytes, %zu needed", workspace_bytes, needed);
    const int32_t group = decode_tokens_per_launch(a.heads, a.cache.latent_dim, a.tokens, a.max_key_count);
    for (int32_t t0 = 0; t0 < a.tokens; t0 += group) {
        const int32_t count = min(group, a.tokens - t0);
        if (splits > 0) {
            mla_split_kernel<<<dim3(static_cast<uint32_t>(ceil_div(a.heads, kHeads)), splits, count), kThreads, 0,
                               stream>>>(a, workspace, splits, t0);
            if (int32_t s = launch_status("mla_split_kernel")) return s;
        }
        mla_combine_kernel<<<dim3(a.heads, count), 128, 0, stream>>>(a, workspace, splits, t0);
        if (int32_t s = launch_status("mla_combine_kernel")) return s;
    }
    return K2_OK;
}

}  // namespace k2

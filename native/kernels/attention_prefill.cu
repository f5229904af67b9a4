// Expanded causal multi-head latent attention: one block per (token, head) walks keys 0..position in tiles of
// 32 with an online softmax in float32. Each warp forms the scores of its keys (nope and rope halves dotted
// lane-strided, then a butterfly), one thread folds the tile into the running max and sum, and the threads then
// add the tile's weighted values into their output columns.
#include <cmath>

#include "attention_prefill.cuh"

namespace k2 {

namespace {

constexpr int kThreads = 128;
constexpr int kTile = 32;

__global__ void __launch_bounds__(kThreads) attention_prefill_kernel(PrefillArgs a)
{
    __shared__ float query[2 * K2_MAX_HEAD_DIM];
    __shared__ float probabilities[kTile];
    __shared__ float correction_shared;
    __shared__ float sum_shared;
    const int32_t t = blockIdx.x, h = blockIdx.y;
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    const int32_t dn = a.nope_dim, dr = a.rope_dim, dv = a.value_dim;
    const int32_t position = a.positions[t];
    float* out = a.out + static_cast<int64_t>(t) * a.out_stride + static_cast<int64_t>(h) * dv;
    if (position < 0 || position >= a.keys) {
        for (int32_t v = threadIdx.x; v < dv; v += kThreads) out[v] = NAN;
        return;
    }
    const float* q = a.q + static_cast<int64_t>(t) * a.q_stride + static_cast<int64_t>(h) * (dn + dr);
    for (int32_t i = threadIdx.x; i < dn + dr; i += kThreads) query[i] = q[i];

    constexpr int kOutputs = K2_MAX_HEAD_DIM / kThreads;
    static_assert(K2_MAX_HEAD_DIM % kThreads == 0,
                  "attention_prefill: value columns must split evenly over the threads");
    float acc[kOutputs];
#pragma unroll
    for (int j = 0; j < kOutputs; j++) acc[j] = 0.0f;
    float running_max = -INFINITY, running_sum = 0.0f;   // meaningful in thread 0
    __syncthreads();

    const int32_t keys = position + 1;
    for (int32_t s0 = 0; s0 < keys; s0 += kTile) {
        const int32_t n = min(kTile, keys - s0);
        for (int32_t j = warp; j < n; j += kThreads / 32) {
            const int64_t s = s0 + j;
            const float* k = a.kv + s * a.kv_stride + static_cast<int64_t>(h) * (dn + dv);
            const float* kr = a.kpe + s * a.kpe_stride;
            float dot = 0.0f;
            for (int32_t i = lane; i < dn; i += 32) dot = fmaf(query[i], k[i], dot);
            for (int32_t i = lane; i < dr; i += 32) dot = fmaf(query[dn + i], kr[i], dot);
            dot = warp_sum(dot);
            if (lane == 0) probabilities[j] = dot * a.scale;
        }
        __syncthreads();
        if (threadIdx.x == 0) {
            float tile_max = -INFINITY;
            for (int32_t j = 0; j < n; j++) tile_max = fmaxf(tile_max, probabilities[j]);
            const float new_max = fmaxf(running_max, tile_max);
            const float correction = running_max == -INFINITY ? 0.0f : expf(running_max - new_max);
            float tile_sum = 0.0f;
            for (int32_t j = 0; j < n; j++) {
                probabilities[j] = expf(probabilities[j] - new_max);
                tile_sum += probabilities[j];
            }
            running_sum = running_sum * correction + tile_sum;
            running_max = new_max;
            correction_shared = correction;
        }
        __syncthreads();
        const float correction = correction_shared;
#pragma unroll
        for (int jj = 0; jj < kOutputs; jj++) {
            const int32_t v = threadIdx.x + jj * kThreads;
            if (v < dv) {
                float sum = acc[jj] * correction;
                for (int32_t j = 0; j < n; j++)
                    sum = fmaf(probabilities[j],
                               a.kv[(s0 + j) * a.kv_stride + static_cast<int64_t>(h) * (dn + dv) + dn + v], sum);
                acc[jj] = sum;
            }
        }
        __syncthreads();
    }
    if (threadIdx.x == 0) sum_shared = running_sum;
    __syncthreads();
    const float inv = 1.0f / sum_shared;
#pragma unroll
    for (int jj = 0; jj < kOutputs; jj++) {
        const int32_t v = threadIdx.x + jj * kThreads;
        if (v < dv) out[v] = acc[jj] * inv;
    }
}

}  // namespace

int32_t launch_attention_prefill(const PrefillArgs& a, cudaStream_t stream)
{
    if (a.nope_dim + a.rope_dim > 2 * K2_MAX_HEAD_DIM || a.nope_dim > K2_MAX_HEAD_DIM || a.rope_dim > K2_MAX_HEAD_DIM
        || a.value_dim > K2_MAX_HEAD_DIM)
        return fail(K2_ERR_UNSUPPORTED, "attention_prefill: head dims %d/%d/%d exceed K2_MAX_HEAD_DIM (%d)", a.nope_dim,
                    a.rope_dim, a.value_dim, K2_MAX_HEAD_DIM);
    if (a.heads > 65535) return fail(K2_ERR_UNSUPPORTED, "attention_prefill: %d heads exceed the grid", a.heads);
    if (a.tokens == 0 || a.heads == 0) return K2_OK;
    attention_prefill_kernel<<<dim3(a.tokens, a.heads), kThreads, 0, stream>>>(a);
    return launch_status("attention_prefill_kernel");
}

}  // namespace k2

// K2's MoE router, one block per token, written to pick exactly the experts the CPU backend picks
// (Backends/Cpu/RouterKernel.cs): s = sigmoid(logit) as 1 / (1 + exp(-x)); choice = s + bias; with groups, each
// group's score is the sum of its two best choices (one thread per group, scanning in expert order as the CPU
// does) and one thread keeps the best topk_groups groups with the CPU's loop, ties to the lower group; then top_k
// rounds of a block-wide argmax: the largest finite choice wins, ties to the lower expert id, NaN never wins.
// Weights are formed by one thread in k order: s[id] / (Σ + 1e-20) · scale, the sum over filled slots only (an
// unfilled slot, id -1, gets NaN without touching the others).
#include <cmath>

#include "route.cuh"

namespace k2 {

namespace {

constexpr int kThreads = 256;
constexpr int kPerThread = K2_MAX_EXPERTS / kThreads;
static_assert(K2_MAX_EXPERTS % kThreads == 0, "route: experts must split evenly over the threads");

__global__ void __launch_bounds__(kThreads) route_kernel(RouteArgs a)
{
    __shared__ float scores[K2_MAX_EXPERTS];
    __shared__ float choice[K2_MAX_EXPERTS];
    __shared__ float group_scores[K2_MAX_EXPERT_GROUPS];
    __shared__ int keep_group[K2_MAX_EXPERT_GROUPS];
    __shared__ ArgBest warp_best[kThreads / 32];
    __shared__ int32_t chosen[K2_MAX_TOP_K];

    const int32_t t = blockIdx.x;
    const float* logits = a.logits + t * a.logits_stride;
    for (int32_t e = threadIdx.x; e < a.experts; e += kThreads) {
        const float s = 1.0f / (1.0f + expf(-logits[e]));
        scores[e] = s;
        choice[e] = s + a.bias[e];
    }
    __syncthreads();

    if (a.groups > 1 && a.topk_groups < a.groups) {
        const int32_t per_group = a.experts / a.groups;
        if (threadIdx.x < a.groups) {
            float first = -INFINITY, second = -INFINITY;
            for (int32_t e = threadIdx.x * per_group; e < (threadIdx.x + 1) * per_group; e++) {
                const float v = choice[e];
                if (v > first) { second = first; first = v; }
                else if (v > second) second = v;
            }
            group_scores[threadIdx.x] = first + second;
            keep_group[threadIdx.x] = 0;
        }
        __syncthreads();
        if (threadIdx.x == 0) {
            for (int32_t k = 0; k < a.topk_groups; k++) {
                int32_t best = -1;
                float best_value = -INFINITY;
                for (int32_t g = 0; g < a.groups; g++)
                    if (!keep_group[g] && (best < 0 || group_scores[g] > best_value)) {
                        best_value = group_scores[g];
                        best = g;
                    }
                keep_group[best] = 1;
            }
        }
        __syncthreads();
        for (int32_t e = threadIdx.x; e < a.experts; e += kThreads)
            if (!keep_group[e / per_group]) choice[e] = -INFINITY;
        __syncthreads();
    }

    for (int32_t k = 0; k < a.top_k; k++) {
        ArgBest best{-INFINITY, -1};
#pragma unroll
        for (int j = 0; j < kPerThread; j++) {
            const int32_t e = threadIdx.x + j * kThreads;
            if (e < a.experts) {
                const float v = choice[e];
                // Only finite-or-+inf values above -inf are selectable (NaN > x is false), as on the CPU.
                if (v > -INFINITY && beats(ArgBest{v, e}, best)) best = ArgBest{v, e};
            }
        }
        best = warp_arg_best(best);
        if ((threadIdx.x & 31) == 0) warp_best[threadIdx.x >> 5] = best;
        __syncthreads();
        if (threadIdx.x == 0) {
            ArgBest winner = warp_best[0];
            for (int w = 1; w < kThreads / 32; w++)
                if (beats(warp_best[w], winner)) winner = warp_best[w];
            chosen[k] = winner.id;
            if (winner.id >= 0) choice[winner.id] = -INFINITY;
        }
        __syncthreads();
    }

    if (threadIdx.x == 0) {
        int32_t* ids = a.ids + static_cast<int64_t>(t) * a.top_k;
        float* weights = a.weights + static_cast<int64_t>(t) * a.top_k;
        float sum = 0.0f;
        for (int32_t k = 0; k < a.top_k; k++) {
            ids[k] = chosen[k];
            weights[k] = chosen[k] >= 0 ? scores[chosen[k]] : NAN;
            if (chosen[k] >= 0) sum += weights[k];   // an unfilled slot's NaN must not poison the filled ones
        }
        const float norm = a.normalize ? 1.0f / (sum + 1e-20f) : 1.0f;
        for (int32_t k = 0; k < a.top_k; k++) weights[k] = weights[k] * norm * a.scaling_factor;
    }
}

}  // namespace

int32_t launch_route(const RouteArgs& a, cudaStream_t stream)
{
    if (a.experts > K2_MAX_EXPERTS || a.top_k > K2_MAX_TOP_K || a.groups > K2_MAX_EXPERT_GROUPS)
        return fail(K2_ERR_UNSUPPORTED, "route: %d experts, top-%d, %d groups exceed the limits (%d, %d, %d)",
                    a.experts, a.top_k, a.groups, K2_MAX_EXPERTS, K2_MAX_TOP_K, K2_MAX_EXPERT_GROUPS);
    if (a.tokens == 0) return K2_OK;
    route_kernel<<<a.tokens, kThreads, 0, stream>>>(a);
    return launch_status("route_kernel");
}

}  // namespace k2

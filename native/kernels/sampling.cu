// Sampling over logits rows, one block per row; every row's id is written (-1 when nothing can be chosen: a NaN,
// +inf for top-p, or a row that is all -inf). argmax: the first maximum (strided scans keep the first maximum
// of each thread, the reduction breaks ties to the lower index). Top-p: probabilities are recomputed from the
// logits on every pass (no workspace); the kept set {p >= tau} is found by bisection over the bit patterns of
// positive floats, which order like the floats, so tau lands exactly on the probability of the last token kept;
// then each thread sums its contiguous segment of kept mass, thread 0 scans the segments, and the owner of the
// drawn mass walks its segment in index order.
#include <cmath>

#include "sampling.cuh"

namespace k2 {

namespace {

constexpr int kThreads = 512;
constexpr int kWarps = kThreads / 32;

// Block-wide best of each thread's candidate; every thread gets the result.
__device__ ArgBest block_best(ArgBest mine, ArgBest* scratch)
{
    mine = warp_arg_best(mine);
    if ((threadIdx.x & 31) == 0) scratch[threadIdx.x >> 5] = mine;
    __syncthreads();
    ArgBest result = scratch[0];
    for (int w = 1; w < kWarps; w++)
        if (beats(scratch[w], result)) result = scratch[w];
    __syncthreads();
    return result;
}

// Block-wide sum in a fixed order (per-thread value, warp butterfly, warps in order); every thread gets it.
__device__ float block_sum(float value, float* scratch)
{
    value = warp_sum(value);
    if ((threadIdx.x & 31) == 0) scratch[threadIdx.x >> 5] = value;
    __syncthreads();
    float total = 0.0f;
    for (int w = 0; w < kWarps; w++) total += scratch[w];
    __syncthreads();
    return total;
}

__device__ int block_any(int flag, int* scratch)
{
    flag = __any_sync(0xFFFFFFFFu, flag);
    if ((threadIdx.x & 31) == 0) scratch[threadIdx.x >> 5] = flag;
    __syncthreads();
    int any = 0;
    for (int w = 0; w < kWarps; w++) any |= scratch[w];
    __syncthreads();
    return any;
}

__global__ void __launch_bounds__(kThreads)
    argmax_kernel(const float* logits, int64_t stride, int32_t cols, int32_t* ids)
{
    __shared__ ArgBest best_scratch[kWarps];
    __shared__ int flag_scratch[kWarps];
    const float* row = logits + blockIdx.x * stride;
    ArgBest mine{-INFINITY, -1};
    int nan = 0;
    for (int32_t i = threadIdx.x; i < cols; i += kThreads) {
        const float v = row[i];
        nan |= v != v;
        if (beats(ArgBest{v, i}, mine)) mine = ArgBest{v, i};
    }
    const int any_nan = block_any(nan, flag_scratch);
    const ArgBest best = block_best(mine, best_scratch);
    if (threadIdx.x == 0) ids[blockIdx.x] = any_nan || best.value == -INFINITY ? -1 : best.id;
}

__global__ void __launch_bounds__(kThreads)
    top_p_kernel(const float* logits, int64_t stride, int32_t cols, float temperature, float top_p,
                 const float* uniforms, int32_t* ids)
{
    __shared__ ArgBest best_scratch[kWarps];
    __shared__ float sum_scratch[kWarps];
    __shared__ int flag_scratch[kWarps];
    __shared__ float segment_mass[kThreads];
    __shared__ int owner_shared;
    __shared__ float prefix_shared;
    __shared__ float draw_shared;
    const float* row = logits + blockIdx.x * stride;

    ArgBest mine{-INFINITY, -1};
    int bad = 0;
    for (int32_t i = threadIdx.x; i < cols; i += kThreads) {
        const float v = row[i];
        bad |= v != v || v == INFINITY;
        if (beats(ArgBest{v, i}, mine)) mine = ArgBest{v, i};
    }
    if (block_any(bad, flag_scratch)) {
        if (threadIdx.x == 0) ids[blockIdx.x] = -1;
        return;
    }
    const float max = block_best(mine, best_scratch).value;
    if (max == -INFINITY) {   // nothing can be drawn (every probability would be exp(-inf + inf) = NaN)
        if (threadIdx.x == 0) ids[blockIdx.x] = -1;
        return;
    }
    const float inv_t = 1.0f / temperature;
    auto probability = [&](int32_t i) { return expf((row[i] - max) * inv_t); };

    float local = 0.0f;
    for (int32_t i = threadIdx.x; i < cols; i += kThreads) local += probability(i);
    const float target = top_p * block_sum(local, sum_scratch);

    // Largest tau (as float bits) with mass(p >= tau) >= target; mass(p >= 0) is the total, so lo is valid.
    uint32_t lo = 0, hi = __float_as_uint(1.0f) + 1;
    while (hi - lo > 1) {
        const uint32_t mid = lo + (hi - lo) / 2;
        const float tau = __uint_as_float(mid);
        float mass = 0.0f;
        for (int32_t i = threadIdx.x; i < cols; i += kThreads) {
            const float p = probability(i);
            if (p >= tau) mass += p;
        }
        if (block_sum(mass, sum_scratch) >= target) lo = mid; else hi = mid;
    }
    const float tau = __uint_as_float(lo);

    const int32_t segment = (cols + kThreads - 1) / kThreads;
    const int32_t begin = threadIdx.x * segment, end = min(cols, begin + segment);
    float kept = 0.0f;
    for (int32_t i = begin; i < end; i++) {
        const float p = probability(i);
        if (p >= tau) kept += p;
    }
    segment_mass[threadIdx.x] = kept;
    __syncthreads();
    if (threadIdx.x == 0) {
        float total = 0.0f;
        for (int s = 0; s < kThreads; s++) total += segment_mass[s];
        const float draw = uniforms[blockIdx.x] * total;
        float prefix = 0.0f;
        int owner = -1, last_nonempty = -1;
        float last_prefix = 0.0f;
        for (int s = 0; s < kThreads && owner < 0; s++) {
            if (segment_mass[s] > 0.0f) { last_nonempty = s; last_prefix = prefix; }
            if (segment_mass[s] > 0.0f && prefix + segment_mass[s] > draw) owner = s;
            else prefix += segment_mass[s];
        }
        owner_shared = owner >= 0 ? owner : last_nonempty;
        prefix_shared = owner >= 0 ? prefix : last_prefix;
        draw_shared = draw;
    }
    __syncthreads();
    // Every row gets an id: with a finite maximum the kept mass is at least 1, so an owner exists; -1 if not.
    if (owner_shared < 0 && threadIdx.x == 0) ids[blockIdx.x] = -1;
    if (static_cast<int>(threadIdx.x) == owner_shared) {
        const float draw = draw_shared;
        float cumulative = prefix_shared;
        int32_t chosen = -1;
        for (int32_t i = begin; i < end; i++) {
            const float p = probability(i);
            if (p < tau) continue;
            chosen = i;
            cumulative += p;
            if (cumulative > draw) break;
        }
        ids[blockIdx.x] = chosen;
    }
}

}  // namespace

int32_t launch_argmax(const float* logits, int64_t stride, int32_t rows, int32_t cols, int32_t* ids,
                      cudaStream_t stream)
{
    if (rows == 0) return K2_OK;
    argmax_kernel<<<rows, kThreads, 0, stream>>>(logits, stride, cols, ids);
    return launch_status("argmax_kernel");
}

int32_t launch_sample_top_p(const float* logits, int64_t stride, int32_t rows, int32_t cols, float temperature,
                            float top_p, const float* uniforms, int32_t* ids, cudaStream_t stream)
{
    if (rows == 0) return K2_OK;
    top_p_kernel<<<rows, kThreads, 0, stream>>>(logits, stride, cols, temperature, top_p, uniforms, ids);
    return launch_status("top_p_kernel");
}

}  // namespace k2

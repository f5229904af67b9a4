// Routed experts of one MoE layer in four launches, whatever the number of tokens:
//   1. sort: one block counts the (token, k) slots per expert, lays experts out by a block-wide prefix scan (one
//      thread per expert), writes the table of active experts (their weight pointers and slot range, so the product
//      kernels start from one load instead of a chain of dependent ones), and scatters slot indices into their
//      expert's range (order inside a range is free: every slot is computed independently);
//   2. gate_up: a block per (8 rows of the inner dimension, active expert); each warp owns one row of gate and of
//      up, runs it over the expert's slots 8 at a time, and writes silu(gate·x) · (up·x) to the hidden rows;
//   3. down: the same over the hidden rows, writing each slot's expert output [slot, hidden];
//   4. combine: per token, acc += Σ_k routing[t, k] · output[t, k] in k order: deterministic, no atomics on floats.
// Weight rows are read eight values at a time as in gemm.cu (INT4 word + group scale, 8 FP8 bytes + block scale, or 16
// bytes of bf16).
#include <cmath>

#include "moe.cuh"

namespace k2 {

namespace {

constexpr int kSortThreads = 1024;
constexpr int kWarps = 8;
constexpr int kTokens = 8;

static_assert(K2_MAX_EXPERTS <= kSortThreads, "moe sort: one thread per expert");

// An expert with slots: its weights and its range of sorted slots order[first .. last).
struct ActiveExpert {
    k2_expert_weights weights;
    int32_t first, last;
};

struct Workspace {
    int32_t* active_count;    // [1]
    ActiveExpert* active;     // [experts]: experts with slots, ascending id
    int32_t* order;           // [slots]: slot indices t * top_k + k grouped by expert
    float* hidden;        // [slots, inner] by sorted position
    float* output;        // [slots, hidden] by slot index
};

inline size_t align256(size_t bytes) { return (bytes + 255) / 256 * 256; }

Workspace carve(void* base, int32_t experts, int32_t slots, int32_t hidden, int32_t inner)
{
    char* p = static_cast<char*>(base);
    Workspace w;
    w.active_count = reinterpret_cast<int32_t*>(p); p += align256(sizeof(int32_t));
    w.active = reinterpret_cast<ActiveExpert*>(p); p += align256(sizeof(ActiveExpert) * experts);
    w.order = reinterpret_cast<int32_t*>(p); p += align256(sizeof(int32_t) * slots);
    w.hidden = reinterpret_cast<float*>(p); p += align256(sizeof(float) * static_cast<size_t>(slots) * inner);
    w.output = reinterpret_cast<float*>(p);
    return w;
}

__global__ void __launch_bounds__(kSortThreads) sort_kernel(MoeArgs a, Workspace w)
{
    // Per expert: slot count in the high 32 bits, "has slots" in the low ones; one inclusive scan sums both.
    __shared__ int64_t scan[2][K2_MAX_EXPERTS];
    __shared__ int32_t counts[K2_MAX_EXPERTS];
    __shared__ int32_t fill[K2_MAX_EXPERTS];
    const int32_t slots = a.tokens * a.top_k, e = threadIdx.x;
    if (e < a.experts) counts[e] = 0;
    __syncthreads();
    for (int32_t s = threadIdx.x; s < slots; s += kSortThreads) {
        const int32_t id = a.ids[s];
        if (id >= 0 && id < a.experts) atomicAdd(&counts[id], 1);
    }
    __syncthreads();
    int in = 0;
    if (e < a.experts) scan[0][e] = (static_cast<int64_t>(counts[e]) << 32) | (counts[e] > 0 ? 1 : 0);
    __syncthreads();
    for (int32_t offset = 1; offset < a.experts; offset <<= 1) {   // Hillis-Steele, double-buffered
        if (e < a.experts) scan[1 - in][e] = scan[in][e] + (e >= offset ? scan[in][e - offset] : 0);
        in = 1 - in;
        __syncthreads();
    }
    if (e < a.experts) {
        const int64_t inclusive = scan[in][e];
        const int32_t count = counts[e];
        const int32_t first = static_cast<int32_t>(inclusive >> 32) - count;
        fill[e] = first;
        if (count > 0)
            w.active[static_cast<int32_t>(inclusive & 0xFFFFFFFF) - 1] =
                ActiveExpert{a.weights[e], first, first + count};
        if (e == a.experts - 1) *w.active_count = static_cast<int32_t>(inclusive & 0xFFFFFFFF);
    }
    __syncthreads();
    for (int32_t s = threadIdx.x; s < slots; s += kSortThreads) {
        const int32_t id = a.ids[s];
        if (id >= 0 && id < a.experts) w.order[atomicAdd(&fill[id], 1)] = s;
    }
}

// Rows of one expert matrix (gate/up: hidden columns; down: inner columns) as a MatrixView.
__device__ inline MatrixView expert_matrix(const MoeArgs& a, const void* data, const void* scales, int32_t rows,
                                           int32_t cols)
{
    return MatrixView{a.format, rows, cols, a.group_size, data, scales};
}

template <int Format, bool VectorBf16>
__global__ void __launch_bounds__(kWarps * 32) gate_up_kernel(MoeArgs a, Workspace w)
{
    if (static_cast<int32_t>(blockIdx.y) >= *w.active_count) return;
    const ActiveExpert expert = w.active[blockIdx.y];
    const int lane = threadIdx.x & 31;
    const int32_t n = blockIdx.x * kWarps + (threadIdx.x >> 5);
    if (n >= a.inner) return;
    const k2_expert_weights& ew = expert.weights;
    const MatrixView gate = expert_matrix(a, ew.gate_data, ew.gate_scales, a.inner, a.hidden);
    const MatrixView up = expert_matrix(a, ew.up_data, ew.up_scales, a.inner, a.hidden);
    const int32_t first = expert.first, last = expert.last;
    const int32_t chunks = a.hidden / 8;
    for (int32_t p0 = first; p0 < last; p0 += kTokens) {
        const int32_t count = min(kTokens, last - p0);
        const float* rows[kTokens];
#pragma unroll
        for (int t = 0; t < kTokens; t++) rows[t] = a.x + (t < count ? w.order[p0 + t] / a.top_k : 0) * a.x_stride;
        float g[kTokens], u[kTokens];
#pragma unroll
        for (int t = 0; t < kTokens; t++) { g[t] = 0.0f; u[t] = 0.0f; }
        for (int32_t c = lane; c < chunks; c += 32) {
            float wg[8], wu[8];
            load8<Format, VectorBf16>(gate, n, c, wg);
            load8<Format, VectorBf16>(up, n, c, wu);
#pragma unroll
            for (int t = 0; t < kTokens; t++) {
                if (t < count) {
#pragma unroll
                    for (int i = 0; i < 8; i++) {
                        const float xv = rows[t][8 * c + i];
                        g[t] = fmaf(wg[i], xv, g[t]);
                        u[t] = fmaf(wu[i], xv, u[t]);
                    }
                }
            }
        }
#pragma unroll
        for (int t = 0; t < kTokens; t++) {
            const float gs = warp_sum(g[t]), us = warp_sum(u[t]);
            if (lane == 0 && t < count)
                w.hidden[static_cast<int64_t>(p0 + t) * a.inner + n] = gs / (1.0f + expf(-gs)) * us;
        }
    }
}

template <int Format, bool VectorBf16>
__global__ void __launch_bounds__(kWarps * 32) down_kernel(MoeArgs a, Workspace w)
{
    if (static_cast<int32_t>(blockIdx.y) >= *w.active_count) return;
    const ActiveExpert expert = w.active[blockIdx.y];
    const int lane = threadIdx.x & 31;
    const int32_t n = blockIdx.x * kWarps + (threadIdx.x >> 5);
    if (n >= a.hidden) return;
    const k2_expert_weights& ew = expert.weights;
    const MatrixView down = expert_matrix(a, ew.down_data, ew.down_scales, a.hidden, a.inner);
    const int32_t first = expert.first, last = expert.last;
    const int32_t chunks = a.inner / 8;
    for (int32_t p0 = first; p0 < last; p0 += kTokens) {
        const int32_t count = min(kTokens, last - p0);
        float d[kTokens];
#pragma unroll
        for (int t = 0; t < kTokens; t++) d[t] = 0.0f;
        for (int32_t c = lane; c < chunks; c += 32) {
            float wd[8];
            load8<Format, VectorBf16>(down, n, c, wd);
#pragma unroll
            for (int t = 0; t < kTokens; t++) {
                if (t < count) {
                    const float* h = w.hidden + static_cast<int64_t>(p0 + t) * a.inner + 8 * c;
#pragma unroll
                    for (int i = 0; i < 8; i++) d[t] = fmaf(wd[i], h[i], d[t]);
                }
            }
        }
#pragma unroll
        for (int t = 0; t < kTokens; t++) {
            const float total = warp_sum(d[t]);
            if (lane == 0 && t < count) w.output[static_cast<int64_t>(w.order[p0 + t]) * a.hidden + n] = total;
        }
    }
}

__global__ void combine_kernel(MoeArgs a, Workspace w)
{
    const int32_t t = blockIdx.x;
    float* acc = a.acc + t * a.acc_stride;
    for (int32_t c = blockIdx.y * blockDim.x + threadIdx.x; c < a.hidden; c += gridDim.y * blockDim.x) {
        float sum = acc[c];
        for (int32_t k = 0; k < a.top_k; k++) {
            const int32_t slot = t * a.top_k + k, e = a.ids[slot];
            sum = (e >= 0 && e < a.experts)
                      ? fmaf(a.routing[slot], w.output[static_cast<int64_t>(slot) * a.hidden + c], sum)
                      : NAN;
        }
        acc[c] = sum;
    }
}

template <int Format, bool VectorBf16>
int32_t launch_experts(const MoeArgs& a, const Workspace& w, int32_t max_active, cudaStream_t stream)
{
    gate_up_kernel<Format, VectorBf16>
        <<<dim3(static_cast<uint32_t>(ceil_div(a.inner, kWarps)), max_active), kWarps * 32, 0, stream>>>(a, w);
    if (int32_t s = launch_status("moe gate_up_kernel")) return s;
    down_kernel<Format, VectorBf16>
        <<<dim3(static_cast<uint32_t>(ceil_div(a.hidden, kWarps)), max_active), kWarps * 32, 0, stream>>>(a, w);
    return launch_status("moe down_kernel");
}

}  // namespace

size_t moe_workspace_bytes(int32_t experts, int32_t top_k, int32_t hidden, int32_t inner, int32_t tokens)
{
    const size_t slots = static_cast<size_t>(tokens) * top_k;
    return align256(sizeof(int32_t)) + align256(sizeof(ActiveExpert) * experts) + align256(sizeof(int32_t) * slots)
        + align256(sizeof(float) * slots * inner) + sizeof(float) * slots * hidden;
}

int32_t launch_moe(const MoeArgs& a, void* workspace, size_t workspace_bytes, cudaStream_t stream)
{
    if (a.experts > K2_MAX_EXPERTS || a.top_k > K2_MAX_TOP_K)
        return fail(K2_ERR_UNSUPPORTED, "moe: %d experts, top-%d exceed the limits (%d, %d)", a.experts, a.top_k,
                    K2_MAX_EXPERTS, K2_MAX_TOP_K);
    if (a.hidden % 8 != 0 || a.inner % 8 != 0)
        return fail(K2_ERR_UNSUPPORTED, "moe: hidden %d and inner %d must be multiples of 8", a.hidden, a.inner);
    const int64_t slots = static_cast<int64_t>(a.tokens) * a.top_k;
    if (slots > 2147483647 / (a.hidden > a.inner ? a.hidden : a.inner))
        return fail(K2_ERR_UNSUPPORTED, "moe: %d tokens x top-%d exceed the slot limit", a.tokens, a.top_k);
    if (a.format == K2_FORMAT_INT4
        && (a.group_size <= 0 || a.group_size % 8 != 0 || a.hidden % a.group_size != 0 || a.inner % a.group_size != 0))
        return fail(K2_ERR_INVALID_ARGUMENT,
                    "moe: INT4 group size %d must be a multiple of 8 dividing hidden %d and inner %d", a.group_size,
                    a.hidden, a.inner);
    if (a.format != K2_FORMAT_INT4 && a.format != K2_FORMAT_BF16 && a.format != K2_FORMAT_FP8)
        return fail(K2_ERR_INVALID_ARGUMENT, "moe: unknown weight format %d", a.format);
    if (a.tokens == 0 || a.top_k == 0) return K2_OK;
    const size_t needed = moe_workspace_bytes(a.experts, a.top_k, a.hidden, a.inner, a.tokens);
    if (workspace == nullptr || workspace_bytes < needed)
        return fail(K2_ERR_WORKSPACE, "moe: workspace of %zu bytes, %zu needed", workspace_bytes, needed);
    const Workspace w = carve(workspace, a.experts, static_cast<int32_t>(slots), a.hidden, a.inner);
    // At most min(experts, slots) experts are active; blocks beyond the active count return at once.
    const int32_t max_active = static_cast<int32_t>(slots < a.experts ? slots : a.experts);

    sort_kernel<<<1, kSortThreads, 0, stream>>>(a, w);
    if (int32_t s = launch_status("moe sort_kernel")) return s;
    int32_t status;
    switch (a.format) {
    case K2_FORMAT_INT4:
        status = launch_experts<K2_FORMAT_INT4, false>(a, w, max_active, stream);
        break;
    case K2_FORMAT_FP8:
        status = launch_experts<K2_FORMAT_FP8, false>(a, w, max_active, stream);
        break;
    case K2_FORMAT_BF16:
        // Expert pointers live in device memory and are not checked here: unaligned rows use the 2-byte path.
        status = launch_experts<K2_FORMAT_BF16, false>(a, w, max_active, stream);
        break;
    default:
        return fail(K2_ERR_INVALID_ARGUMENT, "moe: unknown weight format %d", a.format);
    }
    if (status != K2_OK) return status;
    combine_kernel<<<dim3(a.tokens, static_cast<uint32_t>(ceil_div(a.hidden, 256))), 256, 0, stream>>>(a, w);
    return launch_status("moe combine_kernel");
}

}  // namespace k2

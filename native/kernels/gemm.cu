// GEMV-style product y[t, n] = Σ_k x[t, k] · w[n, k] (bf16, INT4 or FP8 weights, float32 activations and
// accumulation),
// the path for decode and small batches. One warp owns one output row for a tile of Tokens tokens: its lanes walk
// the row eight weights at a time (one INT4 word with its group scale, or 16 bytes of bf16), multiply them into
// every token of the tile, and reduce across the warp with a fixed butterfly. Each output element is computed by
// the same sequence of operations whatever the token count, so a token's result does not depend on its batch.
#include "gemm.cuh"

namespace k2 {

namespace {

constexpr int kWarps = 8;       // rows per block
constexpr int kTokens = 8;      // tokens per tile (accumulators per lane)

template <int Format, bool VectorBf16>
__global__ void __launch_bounds__(kWarps * 32) gemv_kernel(GemvArgs a)
{
    static_assert(kTokens >= 1 && kTokens <= 16, "gemv: token tile out of range");
    const int lane = threadIdx.x & 31;
    const int warp = threadIdx.x >> 5;
    const int32_t n = blockIdx.x * kWarps + warp;
    const int32_t batch = blockIdx.z;
    if (n >= a.rows) return;
    const int32_t t0 = blockIdx.y * kTokens;
    const int32_t count = min(kTokens, a.tokens - t0);
    const int64_t row = a.w_row0 + static_cast<int64_t>(batch) * a.w_batch_rows + n;
    const float* x = a.x + static_cast<int64_t>(t0) * a.x_stride + batch * a.x_batch_cols;

    float acc[kTokens];
#pragma unroll
    for (int t = 0; t < kTokens; t++) acc[t] = 0.0f;

    const int32_t chunks = a.cols / 8;
#pragma unroll 2
    for (int32_t c = lane; c < chunks; c += 32) {
        float w[8];
        load8<Format, VectorBf16>(a.w, row, c, w);
#pragma unroll
        for (int t = 0; t < kTokens; t++) {
            if (t < count) {
                const float* xt = x + t * a.x_stride + 8 * c;
                float sum = acc[t];
#pragma unroll
                for (int i = 0; i < 8; i++) sum = fmaf(w[i], xt[i], sum);
                acc[t] = sum;
            }
        }
    }
    if constexpr (Format == K2_FORMAT_BF16) {
        // Row tails that are not a whole chunk (bf16 rows of any length).
        const int32_t col = 8 * chunks + lane;
        if (col < a.cols) {
            float w = load1_bf16(a.w, row, col);
#pragma unroll
            for (int t = 0; t < kTokens; t++)
                if (t < count) acc[t] = fmaf(w, x[t * a.x_stride + col], acc[t]);
        }
    }
#pragma unroll
    for (int t = 0; t < kTokens; t++) {
        float total = warp_sum(acc[t]);
        if (lane == 0 && t < count) a.y[static_cast<int64_t>(t0 + t) * a.y_stride + batch * a.y_batch_cols + n] = total;
    }
}

template <int Format, bool VectorBf16>
int32_t launch(const GemvArgs& a, cudaStream_t stream)
{
    dim3 grid(static_cast<uint32_t>(ceil_div(a.rows, kWarps)), static_cast<uint32_t>(ceil_div(a.tokens, kTokens)),
              a.batches);
    gemv_kernel<Format, VectorBf16><<<grid, kWarps * 32, 0, stream>>>(a);
    return launch_status("gemv_kernel");
}

}  // namespace

int32_t launch_gemv(const GemvArgs& a, cudaStream_t stream)
{
    if (a.tokens == 0 || a.rows == 0 || a.batches == 0) return K2_OK;
    if (a.batches > 65535 || ceil_div(a.tokens, kTokens) > 65535)
        return fail(K2_ERR_UNSUPPORTED, "gemv: %d batches of %d tokens exceed the grid (65535 x %d tokens)", a.batches,
                    a.tokens, kTokens);
    switch (a.w.format) {
    case K2_FORMAT_INT4:
        if (a.cols % 8 != 0)
            return fail(K2_ERR_UNSUPPORTED, "gemv: INT4 reduction length %d is not a multiple of 8", a.cols);
        return launch<K2_FORMAT_INT4, false>(a, stream);
    case K2_FORMAT_FP8:
        if (a.cols % 8 != 0 || a.w.cols % 8 != 0)
            return fail(K2_ERR_UNSUPPORTED, "gemv: FP8 reduction length %d / row length %d is not a multiple of 8",
                        a.cols, a.w.cols);
        return launch<K2_FORMAT_FP8, false>(a, stream);
    case K2_FORMAT_BF16:
        return bf16_rows_vectorizable(a.w) ? launch<K2_FORMAT_BF16, true>(a, stream)
                                           : launch<K2_FORMAT_BF16, false>(a, stream);
    default:
        return fail(K2_ERR_INVALID_ARGUMENT, "gemv: unknown weight format %d", a.w.format);
    }
}

}  // namespace k2

// MLA query absorption: q_latent = W_UKᵀ · q_nope per head. The weight rows of a head are walked in order
// d = 0..Dn-1;
// each thread owns eight consecutive latent columns (one INT4 word or 16 bytes of bf16) for a tile of 8 tokens
// and adds q[t, h, d] · row d into them, the same order of additions as the CPU's row-by-row sum.
#include "mla_absorb.cuh"

namespace k2 {

namespace {

constexpr int kThreads = 64;
constexpr int kTokens = 8;

template <int Format, bool VectorBf16>
__global__ void __launch_bounds__(kThreads)
    absorb_query_kernel(MatrixView w, int32_t nope_dim, int32_t rope_dim, int32_t value_dim, const float* q,
                        int64_t q_stride, int32_t tokens, float* q_latent, int64_t q_latent_stride)
{
    static_assert(kTokens >= 1 && kTokens <= 16, "absorb_query: token tile out of range");
    const int32_t chunk = blockIdx.x * kThreads + threadIdx.x;
    const int32_t h = blockIdx.y;
    const int32_t t0 = blockIdx.z * kTokens;
    if (chunk >= w.cols / 8) return;
    const int32_t count = min(kTokens, tokens - t0);
    float acc[kTokens][8];
#pragma unroll
    for (int t = 0; t < kTokens; t++)
#pragma unroll
        for (int i = 0; i < 8; i++) acc[t][i] = 0.0f;
    const int64_t row0 = static_cast<int64_t>(h) * (nope_dim + value_dim);
    const float* qh = q + static_cast<int64_t>(t0) * q_stride + static_cast<int64_t>(h) * (nope_dim + rope_dim);
    for (int32_t d = 0; d < nope_dim; d++) {
        float wv[8];
        load8<Format, VectorBf16>(w, row0 + d, chunk, wv);
#pragma unroll
        for (int t = 0; t < kTokens; t++) {
            if (t < count) {
                const float qv = qh[t * q_stride + d];
#pragma unroll
                for (int i = 0; i < 8; i++) acc[t][i] = fmaf(qv, wv[i], acc[t][i]);
            }
        }
    }
#pragma unroll
    for (int t = 0; t < kTokens; t++) {
        if (t < count) {
            float* out = q_latent + static_cast<int64_t>(t0 + t) * q_latent_stride + static_cast<int64_t>(h) * w.cols
                         + 8 * chunk;
#pragma unroll
            for (int i = 0; i < 8; i++) out[i] = acc[t][i];
        }
    }
}

template <int Format, bool VectorBf16>
int32_t launch(const MatrixView& w, int32_t heads, int32_t nope_dim, int32_t rope_dim, int32_t value_dim,
               const float* q, int64_t q_stride, int32_t tokens, float* q_latent, int64_t q_latent_stride,
               cudaStream_t stream)
{
    dim3 grid(static_cast<uint32_t>(ceil_div(w.cols / 8, kThreads)), heads,
              static_cast<uint32_t>(ceil_div(tokens, kTokens)));
    absorb_query_kernel<Format, VectorBf16><<<grid, kThreads, 0, stream>>>(w, nope_dim, rope_dim, value_dim, q,
                                                                           q_stride, tokens, q_latent, q_latent_stride);
    return launch_status("absorb_query_kernel");
}

}  // namespace

int32_t launch_absorb_query(const MatrixView& w, int32_t heads, int32_t nope_dim, int32_t rope_dim, int32_t value_dim,
                            const float* q, int64_t q_stride, int32_t tokens, float* q_latent, int64_t q_latent_stride,
                            cudaStream_t stream)
{
    if (w.cols % 8 != 0)
        return fail(K2_ERR_UNSUPPORTED, "absorb_query: latent width %d is not a multiple of 8", w.cols);
    if (heads > 65535 || ceil_div(tokens, kTokens) > 65535)
        return fail(K2_ERR_UNSUPPORTED, "absorb_query: %d heads x %d tokens exceed the grid", heads, tokens);
    if (tokens == 0 || heads == 0) return K2_OK;
    switch (w.format) {
        case K2_FORMAT_INT4:
            return launch<K2_FORMAT_INT4, false>(w, heads, nope_dim, rope_dim, value_dim, q, q_stride, tokens, q_latent,
                                                 q_latent_stride, stream);
        case K2_FORMAT_FP8:
            return launch<K2_FORMAT_FP8, false>(w, heads, nope_dim, rope_dim, value_dim, q, q_stride, tokens, q_latent,
                                                q_latent_stride, stream);
        case K2_FORMAT_BF16:
            return bf16_rows_vectorizable(w)
                       ? launch<K2_FORMAT_BF16, true>(w, heads, nope_dim, rope_dim, value_dim, q, q_stride, tokens,
                                                      q_latent, q_latent_stride, stream)
                       : launch<K2_FORMAT_BF16, false>(w, heads, nope_dim, rope_dim, value_dim, q, q_stride, tokens,
                                                       q_latent, q_latent_stride, stream);
        default:
            return fail(K2_ERR_INVALID_ARGUMENT, "absorb_query: unknown weight format %d", w.format);
    }
}

}  // namespace k2

// Tiled tensor-core product for prefill: y[t, n] = Σ_k x[t, k] · w[n, k] through bf16 WMMA (16x16x16, float32
// accumulators). A block of 4 warps owns a 64-token x 64-row tile of y; per 32-column step it stages the
// activations (rounded to bf16) and the weights in shared memory, then each warp multiplies a 32x32 quarter.
// bf16 weights are staged as stored. INT4 weights are staged as their nibble values (-8..7, exact in bf16) and the
// group scale is applied in float32 when a group's columns are done: the fragments are added, times each row's
// scale, into per-lane float32 totals (a scale rounded into the weights would cost up to 2^-9 per weight). That
// needs group_size % 32 == 0 (K2's is 32); the dispatcher sends other INT4 matrices to the GEMV path. Tiles at the
// edges are padded with zeros, so any shape works.
#include <cuda_bf16.h>
#include <mma.h>

#include "gemm_tc.cuh"

namespace k2 {

namespace {

constexpr int kTileTokens = 64;
constexpr int kTileRows = 64;
constexpr int kStep = 32;                 // columns per shared-memory stage
constexpr int kPitch = kStep + 8;         // bf16 elements per staged row: a multiple of 8 (WMMA), off the bank stride
constexpr int kThreads = 128;

static_assert(kStep % 16 == 0 && kTileTokens % 32 == 0 && kTileRows % 32 == 0,
              "gemm_tc: tile shapes must fit 2x2 WMMA fragments per warp");
static_assert(kPitch % 8 == 0, "gemm_tc: WMMA needs a pitch that is a multiple of 8 bf16 elements");

template <int Format>
__global__ void __launch_bounds__(kThreads) gemm_tc_kernel(MatrixView w, const float* x, int64_t x_stride, float* y,
                                                           int64_t y_stride, int32_t tokens)
{
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    using namespace nvcuda;
    __shared__ __align__(32) __nv_bfloat16 a_tile[kTileTokens * kPitch];
    __shared__ __align__(32) __nv_bfloat16 b_tile[kTileRows * kPitch];
    __shared__ __align__(32) float c_tile[4][16 * 16];

    const int warp = threadIdx.x >> 5;
    const int lane = threadIdx.x & 31;
    const int32_t t0 = blockIdx.y * kTileTokens;
    const int32_t n0 = blockIdx.x * kTileRows;
    const int wt = (warp >> 1) * 32;      // warp's token offset in the tile
    const int wn = (warp & 1) * 32;       // warp's row offset in the tile

    wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc[2][2];
#pragma unroll
    for (int i = 0; i < 2; i++)
#pragma unroll
        for (int j = 0; j < 2; j++) wmma::fill_fragment(acc[i][j], 0.0f);
    float total[2][2][8];
#pragma unroll
    for (int i = 0; i < 2; i++)
#pragma unroll
        for (int j = 0; j < 2; j++)
#pragma unroll
            for (int r = 0; r < 8; r++) total[i][j][r] = 0.0f;

    for (int32_t k0 = 0; k0 < w.cols; k0 += kStep) {
        // Activations: 64 x 32 floats, 16 per thread, rounded to bf16; zeros outside the matrix.
        for (int e = threadIdx.x; e < kTileTokens * kStep; e += kThreads) {
            int r = e / kStep, c = e % kStep;
            int32_t t = t0 + r, k = k0 + c;
            float v = (t < tokens && k < w.cols) ? x[static_cast<int64_t>(t) * x_stride + k] : 0.0f;
            a_tile[r * kPitch + c] = __float2bfloat16_rn(v);
        }
        // Weights: 64 rows x 32 columns as bf16 (INT4: the nibble values, unscaled).
        if constexpr (Format == K2_FORMAT_INT4) {
            const int32_t words = w.cols / 8;
            for (int e = threadIdx.x; e < kTileRows * (kStep / 8); e += kThreads) {
                int r = e / (kStep / 8), c8 = e % (kStep / 8);
                int32_t n = n0 + r, k = k0 + 8 * c8;
                uint32_t word = 0x88888888u;   // nibbles of value 0
                if (n < w.rows && k < w.cols)
                    word = static_cast<uint32_t>(
                        __ldg(static_cast<const int32_t*>(w.data) + static_cast<int64_t>(n) * words + k / 8));
#pragma unroll
                for (int i = 0; i < 8; i++)
                    b_tile[r * kPitch + 8 * c8 + i] =
                        __int2bfloat16_rn(static_cast<int32_t>((word >> (4 * i)) & 0xFu) - 8);
            }
        } else {
            for (int e = threadIdx.x; e < kTileRows * kStep; e += kThreads) {
                int r = e / kStep, c = e % kStep;
                int32_t n = n0 + r, k = k0 + c;
                float v = (n < w.rows && k < w.cols) ? load1_bf16(w, n, k) : 0.0f;
                b_tile[r * kPitch + c] = __float2bfloat16_rn(v);
            }
        }
        __syncthreads();
#pragma unroll
        for (int kk = 0; kk < kStep; kk += 16) {
            wmma::fragment<wmma::matrix_a, 16, 16, 16, __nv_bfloat16, wmma::row_major> fa[2];
            wmma::fragment<wmma::matrix_b, 16, 16, 16, __nv_bfloat16, wmma::col_major> fb[2];
#pragma unroll
            for (int i = 0; i < 2; i++) wmma::load_matrix_sync(fa[i], a_tile + (wt + 16 * i) * kPitch + kk, kPitch);
            // B[k][n] = W[n][k]: the staged weight rows are B's columns.
#pragma unroll
            for (int j = 0; j < 2; j++) wmma::load_matrix_sync(fb[j], b_tile + (wn + 16 * j) * kPitch + kk, kPitch);
#pragma unroll
            for (int i = 0; i < 2; i++)
#pragma unroll
                for (int j = 0; j < 2; j++) wmma::mma_sync(acc[i][j], fa[i], fb[j], acc[i][j]);
        }
        __syncthreads();
        const bool group_done = Format == K2_FORMAT_INT4 ? (k0 + kStep) % w.group_size == 0 : k0 + kStep >= w.cols;
        if (group_done) {
            // Fragments -> float32 totals through shared memory (WMMA's element layout is opaque). Element e of a
            // 16x16 tile is token e / 16, row e % 16; a lane's elements lane + 32 r all sit in row lane % 16.
#pragma unroll
            for (int j = 0; j < 2; j++) {
                const int32_t n = n0 + wn + 16 * j + lane % 16;
                float scale = 1.0f;
                if constexpr (Format == K2_FORMAT_INT4)
                    scale = n < w.rows ? bf16_to_float(__ldg(static_cast<const uint16_t*>(w.scales)
                                                             + static_cast<int64_t>(n) * (w.cols / w.group_size)
                                                             + k0 / w.group_size))
                                       : 0.0f;
#pragma unroll
                for (int i = 0; i < 2; i++) {
                    wmma::store_matrix_sync(c_tile[warp], acc[i][j], 16, wmma::mem_row_major);
                    __syncwarp();
#pragma unroll
                    for (int r = 0; r < 8; r++)
                        total[i][j][r] = fmaf(scale, c_tile[warp][lane + 32 * r], total[i][j][r]);
                    __syncwarp();
                    wmma::fill_fragment(acc[i][j], 0.0f);
                }
            }
        }
    }
    // Only the elements inside y are written.
#pragma unroll
    for (int i = 0; i < 2; i++) {
#pragma unroll
        for (int j = 0; j < 2; j++) {
#pragma unroll
            for (int r = 0; r < 8; r++) {
                const int e = lane + 32 * r;
                const int32_t t = t0 + wt + 16 * i + e / 16, n = n0 + wn + 16 * j + e % 16;
                if (t < tokens && n < w.rows) y[static_cast<int64_t>(t) * y_stride + n] = total[i][j][r];
            }
        }
    }
#endif
}

}  // namespace

bool tensor_core_int4_ok(const MatrixView& w)
{
    return w.group_size > 0 && w.group_size % kStep == 0 && w.cols % w.group_size == 0;
}

int32_t launch_gemm_tensor_core(const MatrixView& w, const float* x, int64_t x_stride, float* y, int64_t y_stride,
                                int32_t tokens, int32_t compute_major, cudaStream_t stream)
{
    if (compute_major < 8)
        return fail(K2_ERR_UNSUPPORTED, "gemm (tensor cores): needs compute capability 8.0 or newer, device has %d.x",
                    compute_major);
    if (tokens == 0 || w.rows == 0) return K2_OK;
    if (ceil_div(tokens, kTileTokens) > 65535)
        return fail(K2_ERR_UNSUPPORTED, "gemm (tensor cores): %d tokens exceed the grid", tokens);
    dim3 grid(static_cast<uint32_t>(ceil_div(w.rows, kTileRows)), static_cast<uint32_t>(ceil_div(tokens, kTileTokens)));
    switch (w.format) {
    case K2_FORMAT_INT4:
        if (!tensor_core_int4_ok(w))
            return fail(
                K2_ERR_UNSUPPORTED,
                "gemm (tensor cores): INT4 group size %d is not a multiple of %d (or cols %d not a multiple of it)",
                w.group_size, kStep, w.cols);
        gemm_tc_kernel<K2_FORMAT_INT4><<<grid, kThreads, 0, stream>>>(w, x, x_stride, y, y_stride, tokens);
        break;
    case K2_FORMAT_BF16:
        gemm_tc_kernel<K2_FORMAT_BF16><<<grid, kThreads, 0, stream>>>(w, x, x_stride, y, y_stride, tokens);
        break;
    default:
        return fail(K2_ERR_INVALID_ARGUMENT, "gemm (tensor cores): unknown weight format %d", w.format);
    }
    return launch_status("gemm_tc_kernel");
}

}  // namespace k2

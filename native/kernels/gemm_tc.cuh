// Host launcher of the tiled tensor-core product (gemm_tc.cu), the prefill path of k2_gemm for BF16 and INT4 matrices.
#pragma once

#include "common.cuh"

namespace k2 {

// y[t, n] = Σ_k x[t, k] · w[n, k] with activations rounded to bf16, float32 accumulation. Needs compute
// capability 8.0 or newer (bf16 WMMA); K2_ERR_UNSUPPORTED below it. INT4 needs tensor_core_int4_ok.
bool tensor_core_int4_ok(const MatrixView& w);

int32_t launch_gemm_tensor_core(const MatrixView& w, const float* x, int64_t x_stride, float* y, int64_t y_stride,
                                int32_t tokens, int32_t compute_major, cudaStream_t stream);

}  // namespace k2

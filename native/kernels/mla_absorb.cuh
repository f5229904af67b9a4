// Host launcher of the query absorption of MLA (mla_absorb.cu); the value expansion is a batched GEMV (gemm.cuh).
#pragma once

#include "common.cuh"

namespace k2 {

// q_latent[t, h, :] = Σ_{d < nope} q[t, h*(nope+rope) + d] · kv_b[h*(nope+value) + d, :]. kv_b.cols % 8 == 0.
int32_t launch_absorb_query(const MatrixView& kv_b, int32_t heads, int32_t nope_dim, int32_t rope_dim,
                            int32_t value_dim, const float* q, int64_t q_stride, int32_t tokens, float* q_latent,
                            int64_t q_latent_stride, cudaStream_t stream);

}  // namespace k2

// Host launchers of greedy and nucleus sampling over logits rows (sampling.cu).
#pragma once

#include "common.cuh"

namespace k2 {

// ids[r] = first maximum of row r; -1 when the row holds a NaN or is all -inf.
int32_t launch_argmax(const float* logits, int64_t stride, int32_t rows, int32_t cols, int32_t* ids,
                      cudaStream_t stream);

// Top-p sampling with one uniform per row (see k2_sample_top_p).
int32_t launch_sample_top_p(const float* logits, int64_t stride, int32_t rows, int32_t cols, float temperature,
                            float top_p, const float* uniforms, int32_t* ids, cudaStream_t stream);

}  // namespace k2

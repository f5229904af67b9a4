// Host launcher of the rotary embedding on interleaved pairs (rope.cu).
#pragma once

#include "common.cuh"

namespace k2 {

// Rotates pairs (x[c], x[c+1]), c = h*head_stride + offset + 2i, of each row t by positions[t] * inv_freq[i] (float64).
// Limit: pairs <= K2_MAX_ROPE_PAIRS.
int32_t launch_rope(float* x, int64_t x_stride, int32_t rows, int32_t heads, int32_t head_stride, int32_t offset,
                    const double* inv_freq, int32_t pairs, float cos_sin_scale, const int32_t* positions,
                    cudaStream_t stream);

}  // namespace k2

// Host launcher of the embedding gather (embed.cu).
#pragma once

#include "common.cuh"

namespace k2 {

// y[t, :] = bf16 table[tokens[t], :] widened; ids outside the table give NaN rows. count <= 2^31 - 1 (any).
int32_t launch_embed(const MatrixView& table, const int32_t* tokens, int32_t count, float* y, int64_t y_stride,
                     cudaStream_t stream);

}  // namespace k2

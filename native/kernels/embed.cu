// Embedding lookup: one block per token copies its bf16 table row into a float32 activation row. Token ids live in
// device memory, so a bad id cannot be refused up front: its row becomes NaN, which the logits then show.
#include <cmath>

#include "embed.cuh"

namespace k2 {

namespace {

__global__ void embed_kernel(MatrixView table, const int32_t* tokens, float* y, int64_t y_stride)
{
    const int32_t id = tokens[blockIdx.x];
    float* out = y + static_cast<int64_t>(blockIdx.x) * y_stride;
    const bool valid = id >= 0 && id < table.rows;
    for (int32_t c = threadIdx.x; c < table.cols; c += blockDim.x)
        out[c] = valid ? load1_bf16(table, id, c) : NAN;
}

}  // namespace

int32_t launch_embed(const MatrixView& table, const int32_t* tokens, int32_t count, float* y, int64_t y_stride,
                     cudaStream_t stream)
{
    if (count == 0) return K2_OK;
    embed_kernel<<<count, 256, 0, stream>>>(table, tokens, y, y_stride);
    return launch_status("embed_kernel");
}

}  // namespace k2

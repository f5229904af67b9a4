// Host launcher of the paged latent cache append (kv_append.cu).
#pragma once

#include "common.cuh"

namespace k2 {

// The cache as the kernels address it: element (layer, slot, i) at data + ((layer * slots + slot) * width + i).
struct KvCacheView {
    int32_t dtype;
    int32_t layers;
    int64_t slots;        // blocks * block_size
    int32_t block_size;
    int32_t blocks;
    int32_t latent_dim;
    int32_t rope_dim;
    void* data;

    __host__ __device__ int32_t width() const { return latent_dim + rope_dim; }
};

// Stores latent row t and kpe row t into slot slots[t] of `layer`; slots outside the pool are skipped.
int32_t launch_kv_append(const KvCacheView& cache, int32_t layer, const float* latent, int64_t latent_stride,
                         const float* kpe, int64_t kpe_stride, const int32_t* slots, int32_t tokens,
                         cudaStream_t stream);

}  // namespace k2

// Paged latent cache append: one block per new token writes its [c | k_pe] entry into its slot, as float32 or
// bf16 (rounded to nearest even once, the CPU cache's rule bit for bit).
#include "kv_append.cuh"

namespace k2 {

namespace {

template <int DType>
__global__ void kv_append_kernel(KvCacheView cache, int32_t layer, const float* latent, int64_t latent_stride,
                                 const float* kpe, int64_t kpe_stride, const int32_t* slots)
{
    static_assert(DType == K2_KV_F32 || DType == K2_KV_BF16, "kv_append: unknown cache element type");
    const int32_t slot = slots[blockIdx.x];
    if (slot < 0 || slot >= cache.slots) return;
    const int32_t width = cache.width();
    const int64_t base = (static_cast<int64_t>(layer) * cache.slots + slot) * width;
    for (int32_t i = threadIdx.x; i < width; i += blockDim.x) {
        const float v = i < cache.latent_dim ? latent[blockIdx.x * latent_stride + i]
                                             : kpe[blockIdx.x * kpe_stride + (i - cache.latent_dim)];
        if constexpr (DType == K2_KV_F32) static_cast<float*>(cache.data)[base + i] = v;
        else static_cast<uint16_t*>(cache.data)[base + i] = float_to_bf16(v);
    }
}

}  // namespace

int32_t launch_kv_append(const KvCacheView& cache, int32_t layer, const float* latent, int64_t latent_stride,
                         const float* kpe, int64_t kpe_stride, const int32_t* slots, int32_t tokens,
                         cudaStream_t stream)
{
    if (tokens == 0) return K2_OK;
    switch (cache.dtype) {
        case K2_KV_F32:
            kv_append_kernel<K2_KV_F32>
                <<<tokens, 128, 0, stream>>>(cache, layer, latent, latent_stride, kpe, kpe_stride, slots);
            break;
        case K2_KV_BF16:
            kv_append_kernel<K2_KV_BF16>
                <<<tokens, 128, 0, stream>>>(cache, layer, latent, latent_stride, kpe, kpe_stride, slots);
            break;
        default:
            return fail(K2_ERR_INVALID_ARGUMENT, "kv_append: unknown cache element type %d", cache.dtype);
    }
    return launch_status("kv_append_kernel");
}

}  // namespace k2

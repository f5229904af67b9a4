// RMSNorm, one block per row: optional residual add, sum of squares in float32 reduced in a fixed order (per-thread
// strided sums, then a warp butterfly, then the warps' sums in order), y = x · inv · w as the CPU backend does.
#include "rms_norm.cuh"

namespace k2 {

namespace {

constexpr int kThreads = 256;

__global__ void __launch_bounds__(kThreads) rms_norm_kernel(float* x, int64_t x_stride, const float* residual,
                                                            int64_t residual_stride, const float* weight, float eps,
                                                            int32_t cols, float* y, int64_t y_stride)
{
    __shared__ float warp_sums[kThreads / 32];
    __shared__ float inv_shared;
    float* xr = x + blockIdx.x * x_stride;
    float* yr = y + blockIdx.x * y_stride;
    float sum = 0.0f;
    for (int32_t c = threadIdx.x; c < cols; c += kThreads) {
        float v = xr[c];
        if (residual != nullptr) {
            v += residual[blockIdx.x * residual_stride + c];
            xr[c] = v;
        }
        sum = fmaf(v, v, sum);
    }
    sum = warp_sum(sum);
    if ((threadIdx.x & 31) == 0) warp_sums[threadIdx.x >> 5] = sum;
    __syncthreads();
    if (threadIdx.x == 0) {
        float total = 0.0f;
        for (int w = 0; w < kThreads / 32; w++) total += warp_sums[w];
        inv_shared = 1.0f / sqrtf(total / static_cast<float>(cols) + eps);
    }
    __syncthreads();
    const float inv = inv_shared;
    for (int32_t c = threadIdx.x; c < cols; c += kThreads) yr[c] = xr[c] * inv * weight[c];
}

}  // namespace

int32_t launch_rms_norm(float* x, int64_t x_stride, const float* residual, int64_t residual_stride, const float* weight,
                        float eps, int32_t rows, int32_t cols, float* y, int64_t y_stride, cudaStream_t stream)
{
    if (rows == 0) return K2_OK;
    rms_norm_kernel<<<rows, kThreads, 0, stream>>>(x, x_stride, residual, residual_stride, weight, eps, cols, y,
                                                   y_stride);
    return launch_status("rms_norm_kernel");
}

}  // namespace k2

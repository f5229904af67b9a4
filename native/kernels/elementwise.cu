// Elementwise row ops on strided float32 matrices: one block row per matrix row (grid.x), blocks of threads across
// columns (grid.y).
#include <cmath>

#include "elementwise.cuh"

namespace k2 {

namespace {

constexpr int kThreads = 256;

__global__ void add_kernel(float* acc, int64_t acc_stride, const float* delta, int64_t delta_stride, int32_t cols)
{
    int32_t c = blockIdx.y * kThreads + threadIdx.x;
    if (c < cols) acc[blockIdx.x * acc_stride + c] += delta[blockIdx.x * delta_stride + c];
}

__global__ void silu_mul_kernel(const float* gate, int64_t gate_stride, const float* up, int64_t up_stride, float* y,
                                int64_t y_stride, int32_t cols)
{
    int32_t c = blockIdx.y * kThreads + threadIdx.x;
    if (c >= cols) return;
    float g = gate[blockIdx.x * gate_stride + c];
    float u = up[blockIdx.x * up_stride + c];
    y[blockIdx.x * y_stride + c] = g / (1.0f + expf(-g)) * u;
}

__global__ void gather_rows_kernel(const float* src, int64_t src_stride, int32_t src_rows, const int32_t* rows,
                                   int32_t cols, float* dst, int64_t dst_stride)
{
    const int32_t r = rows[blockIdx.x];
    int32_t c = blockIdx.y * kThreads + threadIdx.x;
    if (c >= cols) return;
    dst[blockIdx.x * dst_stride + c] = (r >= 0 && r < src_rows) ? src[static_cast<int64_t>(r) * src_stride + c] : NAN;
}

}  // namespace

int32_t launch_add(float* acc, int64_t acc_stride, const float* delta, int64_t delta_stride, int32_t rows, int32_t cols,
                   cudaStream_t stream)
{
    if (rows == 0 || cols == 0) return K2_OK;
    add_kernel<<<dim3(rows, static_cast<uint32_t>(ceil_div(cols, kThreads))), kThreads, 0, stream>>>(
        acc, acc_stride, delta, delta_stride, cols);
    return launch_status("add_kernel");
}

int32_t launch_silu_mul(const float* gate, int64_t gate_stride, const float* up, int64_t up_stride, float* y,
                        int64_t y_stride, int32_t rows, int32_t cols, cudaStream_t stream)
{
    if (rows == 0 || cols == 0) return K2_OK;
    silu_mul_kernel<<<dim3(rows, static_cast<uint32_t>(ceil_div(cols, kThreads))), kThreads, 0, stream>>>(
        gate, gate_stride, up, up_stride, y, y_stride, cols);
    return launch_status("silu_mul_kernel");
}

int32_t launch_gather_rows(const float* src, int64_t src_stride, int32_t src_rows, const int32_t* rows, int32_t count,
                           int32_t cols, float* dst, int64_t dst_stride, cudaStream_t stream)
{
    if (count == 0 || cols == 0) return K2_OK;
    gather_rows_kernel<<<dim3(count, static_cast<uint32_t>(ceil_div(cols, kThreads))), kThreads, 0, stream>>>(
        src, src_stride, src_rows, rows, cols, dst, dst_stride);
    return launch_status("gather_rows_kernel");
}

}  // namespace k2

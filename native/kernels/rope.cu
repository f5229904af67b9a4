// Rotary embedding (DeepSeek's interleaved-pair form) in place. One block per row: its threads first form the
// row's cos/sin table in float64 (long positions keep their precision, as on the CPU), then rotate every
// (head, pair) of the row.
#include "rope.cuh"

namespace k2 {

namespace {

constexpr int kThreads = 128;

__global__ void __launch_bounds__(kThreads)
    rope_kernel(float* x, int64_t x_stride, int32_t heads, int32_t head_stride, int32_t offset, const double* inv_freq,
                int32_t pairs, float cos_sin_scale, const int32_t* positions)
{
    __shared__ float cos_table[K2_MAX_ROPE_PAIRS];
    __shared__ float sin_table[K2_MAX_ROPE_PAIRS];
    const int64_t row = blockIdx.x;
    const double position = positions[row];
    for (int32_t i = threadIdx.x; i < pairs; i += kThreads) {
        double s, c;
        sincos(position * inv_freq[i], &s, &c);
        cos_table[i] = static_cast<float>(c) * cos_sin_scale;
        sin_table[i] = static_cast<float>(s) * cos_sin_scale;
    }
    __syncthreads();
    float* r = x + row * x_stride;
    for (int32_t e = threadIdx.x; e < heads * pairs; e += kThreads) {
        const int32_t h = e / pairs, i = e % pairs;
        float* p = r + static_cast<int64_t>(h) * head_stride + offset + 2 * i;
        const float a = p[0], b = p[1];
        p[0] = a * cos_table[i] - b * sin_table[i];
        p[1] = a * sin_table[i] + b * cos_table[i];
    }
}

}  // namespace

int32_t launch_rope(float* x, int64_t x_stride, int32_t rows, int32_t heads, int32_t head_stride, int32_t offset,
                    const double* inv_freq, int32_t pairs, float cos_sin_scale, const int32_t* positions,
                    cudaStream_t stream)
{
    if (pairs > K2_MAX_ROPE_PAIRS)
        return fail(K2_ERR_UNSUPPORTED, "rope: %d pairs exceed K2_MAX_ROPE_PAIRS (%d)", pairs, K2_MAX_ROPE_PAIRS);
    if (rows == 0 || heads == 0 || pairs == 0) return K2_OK;
    rope_kernel<<<rows, kThreads, 0, stream>>>(x, x_stride, heads, head_stride, offset, inv_freq, pairs, cos_sin_scale,
                                               positions);
    return launch_status("rope_kernel");
}

}  // namespace k2

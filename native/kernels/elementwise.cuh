// Host launchers of the elementwise row ops (elementwise.cu): add, SiLU-multiply, row gather.
#pragma once

#include "common.cuh"

namespace k2 {

// acc += delta over rows x cols.
int32_t launch_add(float* acc, int64_t acc_stride, const float* delta, int64_t delta_stride, int32_t rows, int32_t cols,
                   cudaStream_t stream);

// y = silu(gate) * up; y may alias gate or up.
int32_t launch_silu_mul(const float* gate, int64_t gate_stride, const float* up, int64_t up_stride, float* y,
                        int64_t y_stride, int32_t rows, int32_t cols, cudaStream_t stream);

// dst[i, :] = src[rows[i], :]; an index outside [0, src_rows) gives a NaN row.
int32_t launch_gather_rows(const float* src, int64_t src_stride, int32_t src_rows, const int32_t* rows, int32_t count,
                           int32_t cols, float* dst, int64_t dst_stride, cudaStream_t stream);

}  // namespace k2

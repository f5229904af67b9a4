// Host launcher of the GEMV-style product (gemm.cu): y = x · W^T for bf16, INT4 or FP8 weights, float32 activations.
#pragma once

#include "common.cuh"

namespace k2 {

// One product, or `batches` of them over row blocks of one matrix (MLA's per-head products): batch b reads weight
// rows w_row0 + b * w_batch_rows + [0, rows) over their first `cols` columns, activation columns
// b * x_batch_cols + [0, cols), and writes output columns b * y_batch_cols + [0, rows). Plain products: batches = 1.
struct GemvArgs {
    MatrixView w;
    int32_t w_row0;         // first weight row of batch 0
    int32_t w_batch_rows;   // weight rows between batches
    int32_t rows;           // output columns per batch
    int32_t cols;           // reduction length (<= w.cols; columns [0, cols) of each weight row)
    int32_t batches;
    const float* x;
    int64_t x_stride;
    int64_t x_batch_cols;   // activation column offset between batches
    float* y;
    int64_t y_stride;
    int64_t y_batch_cols;   // output column offset between batches
    int32_t tokens;
};

// Shape limits: batches <= 65535, tokens any (tiled), cols % 8 == 0 for INT4 and FP8.
int32_t launch_gemv(const GemvArgs& args, cudaStream_t stream);

}  // namespace k2

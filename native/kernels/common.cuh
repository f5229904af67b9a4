// Shared helpers of the kernel pack: status and error reporting for launchers, bf16 and INT4 element access,
// warp reductions (sums, maxima, arg-best), and the matrix view every product kernel reads weights through.
#pragma once

#include <cuda_runtime.h>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "k2native.h"

namespace k2 {

// Records `status` with a printf-style message as the calling thread's last error and returns the status.
int32_t fail(int32_t status, const char* format, ...);

// Copies the calling thread's last message into buf (see k2_last_error); returns its full length.
size_t copy_last_error(char* buf, size_t cap);

// Maps a CUDA error to a status and records "<what>: <CUDA's name and text>" (plus a note when it is sticky).
int32_t cuda_fail(cudaError_t error, const char* what);

// The launch error of the kernel just queued, if any, as a status.
inline int32_t launch_status(const char* kernel)
{
    cudaError_t error = cudaGetLastError();
    return error == cudaSuccess ? K2_OK : cuda_fail(error, kernel);
}

// Facts about the context's device that launchers size their grids and paths by.
struct DeviceLimits {
    int32_t multiprocessors;
    int32_t compute_major;
    int32_t tensor_core_min_tokens;  // 0: the tensor-core GEMM path is off
};

// A weight matrix as the kernels read it (k2_matrix without the ABI's struct_size).
struct MatrixView {
    int32_t format;
    int32_t rows;
    int32_t cols;
    int32_t group_size;
    const void* data;
    const void* scales;  // INT4: bf16 per group; FP8: float32 per 128x128 block
};

constexpr int kFp8Block = 128;  // rows and columns per FP8 scale (k2_format K2_FORMAT_FP8)

// float8 e4m3fn -> float32, exact: exponent/mantissa bits moved into a float32 with the bias raised from 7 to 127
// for normal codes; exponent-0 codes are mantissa * 2^-9. NaN codes are rejected by the loader, never decoded.
__host__ __device__ inline float fp8_e4m3_to_float(uint32_t code)
{
    const uint32_t magnitude = code & 0x7Fu;
#ifdef __CUDA_ARCH__
    const float value = magnitude >= 8u ? __uint_as_float((magnitude << 20) + 0x3C000000u)
                                        : static_cast<float>(magnitude) * 0.001953125f;
#else
    uint32_t bits = (magnitude << 20) + 0x3C000000u;
    float normal;
    std::memcpy(&normal, &bits, sizeof normal);
    const float value = magnitude >= 8u ? normal : static_cast<float>(magnitude) * 0.001953125f;
#endif
    return (code & 0x80u) != 0 ? -value : value;
}

__host__ __device__ inline float bf16_to_float(uint16_t bits)
{
#ifdef __CUDA_ARCH__
    return __uint_as_float(static_cast<uint32_t>(bits) << 16);
#else
    uint32_t word = static_cast<uint32_t>(bits) << 16;
    float value;
    memcpy(&value, &word, sizeof value);
    return value;
#endif
}

// Round to nearest even; NaN stays a quiet NaN (the managed Bf16.FromFloat's rule, bit for bit).
__device__ inline uint16_t float_to_bf16(float value)
{
    uint32_t bits = __float_as_uint(value);
    if (value != value) return static_cast<uint16_t>((bits >> 16) | 0x0040u);
    uint32_t rounding = 0x7FFFu + ((bits >> 16) & 1u);
    return static_cast<uint16_t>((bits + rounding) >> 16);
}

__device__ inline float warp_sum(float value)
{
#pragma unroll
    for (int offset = 16; offset > 0; offset >>= 1) value += __shfl_xor_sync(0xFFFFFFFFu, value, offset);
    return value;
}

__device__ inline float warp_max(float value)
{
#pragma unroll
    for (int offset = 16; offset > 0; offset >>= 1) value = fmaxf(value, __shfl_xor_sync(0xFFFFFFFFu, value, offset));
    return value;
}

// Eight consecutive weights w[row, 8*chunk .. 8*chunk+7] as float32. INT4: one packed word and its group scale;
// FP8: eight e4m3 bytes (one 8-byte load) and their block scale;
// bf16: one 16-byte load when VectorBf16 (cols % 8 == 0, 16-byte aligned rows), else eight 2-byte loads.
template <int Format, bool VectorBf16>
__device__ inline void load8(const MatrixView& w, int64_t row, int32_t chunk, float out[8])
{
    static_assert(Format == K2_FORMAT_BF16 || Format == K2_FORMAT_INT4 || Format == K2_FORMAT_FP8,
                  "load8: unknown weight format");
    if constexpr (Format == K2_FORMAT_FP8) {
        // Eight bytes never straddle a 128-column block (128 % 8 == 0): one scale for all eight.
        uint2 v = __ldg(reinterpret_cast<const uint2*>(static_cast<const uint8_t*>(w.data) + row * w.cols) + chunk);
        const int32_t block_cols = (w.cols + kFp8Block - 1) / kFp8Block;
        float scale =
            __ldg(static_cast<const float*>(w.scales) + (row / kFp8Block) * block_cols + (8 * chunk) / kFp8Block);
#pragma unroll
        for (int i = 0; i < 4; i++) {
            out[i] = fp8_e4m3_to_float((v.x >> (8 * i)) & 0xFFu) * scale;
            out[4 + i] = fp8_e4m3_to_float((v.y >> (8 * i)) & 0xFFu) * scale;
        }
    } else if constexpr (Format == K2_FORMAT_INT4) {
        const int32_t words = w.cols / 8;
        uint32_t word = static_cast<uint32_t>(__ldg(static_cast<const int32_t*>(w.data) + row * words + chunk));
        float scale = bf16_to_float(
            __ldg(static_cast<const uint16_t*>(w.scales) + row * (w.cols / w.group_size) + (8 * chunk) / w.group_size));
#pragma unroll
        for (int i = 0; i < 8; i++)
            out[i] = static_cast<float>(static_cast<int32_t>((word >> (4 * i)) & 0xFu) - 8) * scale;
    } else if constexpr (VectorBf16) {
        uint4 v = __ldg(reinterpret_cast<const uint4*>(static_cast<const uint16_t*>(w.data) + row * w.cols) + chunk);
        const uint32_t parts[4] = {v.x, v.y, v.z, v.w};
#pragma unroll
        for (int i = 0; i < 4; i++) {
            out[2 * i] = __uint_as_float(parts[i] << 16);
            out[2 * i + 1] = __uint_as_float(parts[i] & 0xFFFF0000u);
        }
    } else {
        const uint16_t* p = static_cast<const uint16_t*>(w.data) + row * w.cols + 8 * static_cast<int64_t>(chunk);
#pragma unroll
        for (int i = 0; i < 8; i++) out[i] = bf16_to_float(__ldg(p + i));
    }
}

// One weight w[row, col] as float32 (the tails of bf16 rows whose length is not a multiple of 8).
__device__ inline float load1_bf16(const MatrixView& w, int64_t row, int32_t col)
{
    return bf16_to_float(__ldg(static_cast<const uint16_t*>(w.data) + row * w.cols + col));
}

// True when bf16 rows can be read 16 bytes at a time.
inline bool bf16_rows_vectorizable(const MatrixView& w)
{
    return w.cols % 8 == 0 && reinterpret_cast<uintptr_t>(w.data) % 16 == 0;
}

// 64-bit on purpose: callers compare the result with grid limits before narrowing it into a dim3.
inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// A candidate of an arg-best reduction: the largest value wins, ties go to the lower id, an empty one never wins.
struct ArgBest {
    float value;
    int32_t id;   // -1: none
};

__device__ inline bool beats(ArgBest a, ArgBest b)
{
    if (a.id < 0) return false;
    if (b.id < 0) return true;
    return a.value > b.value || (a.value == b.value && a.id < b.id);
}

// The best candidate of the warp (every lane gets it): a fixed butterfly, so the same inputs give the same winner.
__device__ inline ArgBest warp_arg_best(ArgBest mine)
{
#pragma unroll
    for (int offset = 16; offset > 0; offset >>= 1) {
        ArgBest other{__shfl_xor_sync(0xFFFFFFFFu, mine.value, offset), __shfl_xor_sync(0xFFFFFFFFu, mine.id, offset)};
        if (beats(other, mine)) mine = other;
    }
    return mine;
}

}  // namespace k2

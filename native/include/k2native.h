/* k2native.h: the C ABI of K2Native's CUDA kernel pack (libk2native.so / k2native.dll).
 *
 * Usable from C without .NET (native/examples/k2info.c); the C# bindings in src/K2Native/Native/Generated are
 * generated from this file by ClangSharp (native/generate-bindings.sh). docs/cuda.md describes the kernels.
 *
 * Conventions
 * - Every function returns an int32_t status (K2_OK or a K2_ERR_* code below) and never aborts the host process.
 *   The message of the last failure on the calling thread is copied out by k2_last_error.
 * - Parameters that need more than a few scalars travel by pointer in structs whose first field is
 *   uint32_t struct_size (set it to sizeof the struct; k2_*_default_params does). Only fixed-width types cross
 *   the boundary; enumerations are int32_t constants.
 * - Activations are float32, row-major, in device memory, each matrix given by a pointer and a row stride in
 *   elements (views of wider matrices are allowed). Weights are bf16 or INT4 (k2_matrix). Accumulation is float32.
 * - Operations are asynchronous on a k2_stream (NULL means the context's own stream). Argument errors are found
 *   before anything is launched: such a call changes nothing. Indices held in device memory (token ids, slots,
 *   block tables, expert ids) cannot be checked on the host; an out-of-range index never causes an out-of-range
 *   access, and each function says what it writes instead (NaN rows, so the failure stays visible).
 * - A K2_ERR_CUDA status from a launch or a copy may be a sticky device error (an illegal address in a kernel):
 *   the message says which. After a sticky error the context is unusable and must be destroyed.
 */
#ifndef K2NATIVE_H
#define K2NATIVE_H

#include <stddef.h>
#include <stdint.h>

/* Export marker; a binding generator may define it empty. */
#ifndef K2_API
#  if defined(_WIN32)
#    if defined(K2NATIVE_BUILD)
#      define K2_API __declspec(dllexport)
#    else
#      define K2_API __declspec(dllimport)
#    endif
#  else
#    define K2_API __attribute__((visibility("default")))
#  endif
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped on every change of a signature, a struct or a constant's meaning; the C# side refuses another value. */
#define K2_ABI_VERSION 2

/* Status codes. */
typedef enum k2_status {
    K2_OK = 0,
    /* a null pointer, a shape that does not fit, a struct_size this library does not know */
    K2_ERR_INVALID_ARGUMENT = 1,
    K2_ERR_UNSUPPORTED = 2,      /* a valid request outside the shape limits the kernels are built for */
    K2_ERR_NO_DEVICE = 3,        /* no CUDA device, or the ordinal names none */
    K2_ERR_DRIVER = 4,           /* no NVIDIA driver (libcuda) or one too old for this library's CUDA runtime */
    K2_ERR_OUT_OF_MEMORY = 5,    /* a device allocation failed */
    K2_ERR_WORKSPACE = 6,        /* the workspace given is smaller than the matching *_workspace_size reported */
    K2_ERR_CUDA = 7,             /* any other CUDA error (the message names it) */
    K2_ERR_INTERNAL = 8          /* an unexpected exception inside the library */
} k2_status;

/* Weight formats (k2_matrix.format). */
typedef enum k2_format {
    K2_FORMAT_BF16 = 0, /* bfloat16 [rows, cols], row-major */
    K2_FORMAT_INT4 = 1, /* compressed-tensors pack-quantized: int32 words [rows, cols/8], column 8c+i = bits 4i..4i+3 of
                           word c, value nibble - 8; bf16 scales [rows, cols/group_size]; w = value * scale */
    K2_FORMAT_FP8 = 2   /* DeepSeek-V3 block FP8 (K2 Instruct/Base): float8 e4m3fn bytes [rows, cols] (cols a
                           multiple of 8, rows 8-byte aligned); float32 scales [ceil(rows/128), ceil(cols/128)]
                           (weight_scale_inv);
                           w[r, c] = e4m3(code) * scale[r/128, c/128]; decoded to float32 in registers. NaN codes
                           (0x7F, 0xFF) are not checked here: the loader rejects them. */
} k2_format;

/* Element types of the paged latent cache (k2_kv_cache.dtype). */
typedef enum k2_kv_dtype {
    K2_KV_F32 = 0,
    K2_KV_BF16 = 1 /* rounded to nearest even once, when written */
} k2_kv_dtype;

/* Shape limits (checked at run time; K2_ERR_UNSUPPORTED beyond them). */
#define K2_MAX_EXPERTS 512
#define K2_MAX_TOP_K 16
#define K2_MAX_EXPERT_GROUPS 64
#define K2_MAX_LATENT_DIM 512
#define K2_MAX_ROPE_DIM 128
#define K2_MAX_HEAD_DIM 256
#define K2_MAX_ROPE_PAIRS 256

typedef struct k2_context k2_context; /* a device, its properties and its default stream */
typedef struct k2_stream k2_stream;   /* an ordered queue of operations on a context's device */

/* One CUDA device. */
typedef struct k2_device_info {
    uint32_t struct_size;
    int32_t device;                  /* CUDA ordinal */
    char name[256];                  /* NUL-terminated */
    int32_t multiprocessors;
    int32_t compute_major;
    int32_t compute_minor;
    int32_t driver_version;          /* e.g. 12040 for 12.4 */
    int32_t runtime_version;         /* the CUDA runtime this library was built with */
    int64_t total_memory_bytes;
    int64_t l2_cache_bytes;
    int64_t shared_memory_per_block; /* the opt-in maximum */
} k2_device_info;

typedef struct k2_context_params {
    uint32_t struct_size;
    int32_t device;                  /* CUDA ordinal; default 0 */
    int32_t tensor_core_min_tokens;  /* GEMMs with at least this many tokens use the tensor-core tiles (bf16-rounded
                                        activations); fewer use the float32 GEMV path. 0 = never. Default 0. */
} k2_context_params;

/* A weight matrix [rows = out features, cols = in features] in device memory. */
typedef struct k2_matrix {
    uint32_t struct_size;
    int32_t format;      /* k2_format */
    int32_t rows;
    int32_t cols;        /* INT4: a multiple of group_size, itself a multiple of 8; FP8: a multiple of 8 */
    int32_t group_size;  /* INT4 only */
    /* bf16 elements, int32 words or e4m3 bytes; 16-byte aligned (k2_memory_alloc's pointers are) */
    const void* data;
    /* INT4: bf16 [rows, cols/group_size]; FP8: float32 [ceil(rows/128), ceil(cols/128)]; NULL for bf16 */
    const void* scales;
} k2_matrix;

/* Head layout of multi-head latent attention (K2: 64 heads, 128 + 64, 128, latent 512). */
typedef struct k2_attention_shape {
    uint32_t struct_size;
    int32_t heads;
    int32_t nope_dim;      /* non-rotated query/key width per head */
    int32_t rope_dim;      /* rotated width, one key shared by all heads */
    int32_t value_dim;
    int32_t latent_dim;    /* kv_lora_rank (k2_attention_prefill ignores it) */
    float softmax_scale;
} k2_attention_shape;

/* The paged latent cache: per layer, blocks x block_size slots, each slot [latent (latent_dim) | k_pe (rope_dim)];
   laid out [layer][slot][entry] where slot = block * block_size + offset. */
typedef struct k2_kv_cache {
    uint32_t struct_size;
    int32_t dtype;         /* k2_kv_dtype */
    int32_t layers;
    int32_t blocks;
    int32_t block_size;
    int32_t latent_dim;
    int32_t rope_dim;
    void* data;            /* layers * blocks * block_size * (latent_dim + rope_dim) elements */
} k2_kv_cache;

/* Which cache entries each token attends to: token t belongs to sequence token_sequence[t] and sees that sequence's
   first key_counts[t] entries, found through block_tables[seq * block_table_stride + i] (pool block of the
   sequence's tokens i*block_size .. (i+1)*block_size-1). Arrays in device memory. */
typedef struct k2_paged_batch {
    uint32_t struct_size;
    int32_t tokens;
    int32_t sequences;
    int32_t block_table_stride;
    int32_t max_key_count;         /* an upper bound of key_counts (sizes the split grid) */
    const int32_t* token_sequence; /* [tokens] */
    const int32_t* key_counts;     /* [tokens] */
    const int32_t* block_tables;   /* [sequences * block_table_stride] */
} k2_paged_batch;

/* MoE routing rules (K2-SPEC section 2). Defaults: K2 Thinking's (384 experts, top-8, 1 group, scale 2.827). */
typedef struct k2_router_params {
    uint32_t struct_size;
    int32_t experts;            /* <= K2_MAX_EXPERTS */
    int32_t top_k;              /* <= K2_MAX_TOP_K */
    int32_t groups;             /* divides experts; <= K2_MAX_EXPERT_GROUPS */
    int32_t topk_groups;        /* groups kept */
    int32_t normalize;          /* 1: weights divided by their sum (+1e-20) */
    float scaling_factor;
} k2_router_params;

/* Routed experts of one MoE layer. Defaults: K2 Thinking's (384 experts, top-8, hidden 7168, inner 2048, INT4/32). */
typedef struct k2_moe_params {
    uint32_t struct_size;
    int32_t experts;
    int32_t top_k;
    int32_t hidden;             /* D: gate/up cols, down rows */
    int32_t inner;              /* I: gate/up rows, down cols */
    int32_t format;             /* k2_format of every expert matrix */
    int32_t group_size;         /* INT4 only */
} k2_moe_params;

/* One expert's matrices, an element of a device array [experts] (device memory; no struct_size: its layout is
   fixed by K2_ABI_VERSION). INT4: *_data are words and *_scales bf16; FP8: *_data are e4m3 bytes and *_scales float32
   128x128 block scales; bf16: *_scales are NULL. */
typedef struct k2_expert_weights {
    const void* gate_data;
    const void* gate_scales;
    const void* up_data;
    const void* up_scales;
    const void* down_data;
    const void* down_scales;
} k2_expert_weights;

/* ---- Library, errors, devices ---- */

/* K2_ABI_VERSION of the built library. Cannot fail. */
K2_API uint32_t k2_abi_version(void);

/* Copies the calling thread's last error message (NUL-terminated, cut to cap - 1 bytes) into buf; returns the
   message's full length in bytes (without the NUL). An empty message when the thread has seen no error. buf may
   be NULL when cap is 0. Cannot fail; leaves the message in place. */
K2_API size_t k2_last_error(char* buf, size_t cap);

/* Number of CUDA devices. K2_ERR_DRIVER when no usable driver is installed, K2_ERR_NO_DEVICE when it sees none
   (count is 0 then). On error: *count = 0. */
K2_API int32_t k2_device_count(int32_t* count);

/* Properties of device `device`. On error: *info untouched except struct_size checks (K2_ERR_INVALID_ARGUMENT when
   info->struct_size is not sizeof(k2_device_info)). */
K2_API int32_t k2_device_get_info(int32_t device, k2_device_info* info);

/* ---- Contexts, streams, memory ---- */

/* Fills *params with the defaults (struct_size included). K2_ERR_INVALID_ARGUMENT when params is NULL. */
K2_API int32_t k2_context_default_params(k2_context_params* params);

/* Opens device params->device: checks it, creates the context's stream. On error: *context = NULL, nothing kept. */
K2_API int32_t k2_context_create(const k2_context_params* params, k2_context** context);

/* Waits for the context's stream and frees the context (NULL is allowed). Memory and streams made through it must be
   freed first. Returns the first error met while tearing down; the context is freed whatever happens. */
K2_API int32_t k2_context_destroy(k2_context* context);

/* A new stream on the context's device. On error: *stream = NULL. */
K2_API int32_t k2_stream_create(k2_context* context, k2_stream** stream);

/* Waits for the stream's work and frees it (NULL is allowed); freed whatever happens. */
K2_API int32_t k2_stream_destroy(k2_stream* stream);

/* Blocks until every operation queued on the stream has finished; returns the first error the work raised. */
K2_API int32_t k2_stream_synchronize(k2_context* context, k2_stream* stream);

/* bytes of device memory, 256-byte aligned. On error (K2_ERR_OUT_OF_MEMORY): *pointer = NULL. bytes 0 gives NULL. */
K2_API int32_t k2_memory_alloc(k2_context* context, size_t bytes, void** pointer);

/* Frees memory from k2_memory_alloc (NULL is allowed) after the device's queued work is done. */
K2_API int32_t k2_memory_free(k2_context* context, void* pointer);

/* Host -> device copy queued on the stream; src may be reused when the call returns (from page-locked memory the call
   waits for the stream to get there). On error: dst unchanged. */
K2_API int32_t k2_memory_upload(k2_context* context, k2_stream* stream, void* dst, const void* src, size_t bytes);

/* Device -> host copy queued on the stream; dst holds the bytes after k2_stream_synchronize.
   On error: dst unchanged. */
K2_API int32_t k2_memory_download(k2_context* context, k2_stream* stream, void* dst, const void* src, size_t bytes);

/* Device -> device copy queued on the stream. */
K2_API int32_t k2_memory_copy(k2_context* context, k2_stream* stream, void* dst, const void* src, size_t bytes);

/* Zeroes rows x width_bytes bytes of a pitched area (row starts pitch_bytes apart). */
K2_API int32_t k2_memory_clear_2d(k2_context* context, k2_stream* stream, void* dst, size_t pitch_bytes,
                                  size_t width_bytes, int32_t rows);

/* ---- CUDA graphs ----
   A step's launches can be recorded once and replayed: k2_graph_begin_capture records (does not run) what is queued
   on the stream until k2_graph_end_capture, which stores the graph in the context's cache under a caller-chosen key
   (a batch shape); k2_graph_launch replays it with one call. A replay runs exactly the captured kernels with the
   captured arguments (so bit-identical to the eager launches) and reads whatever the captured device buffers hold
   when it runs: keep their addresses fixed and update their contents (k2_memory_upload) before a launch. Between
   begin and end, only queueing calls may be made on that stream, by this thread: operations, k2_memory_copy,
   k2_memory_clear_2d; an upload, download or synchronize there fails the capture (end then reports it). */

/* Starts recording the stream's work. On error nothing is recording. */
K2_API int32_t k2_graph_begin_capture(k2_context* context, k2_stream* stream);

/* Stops recording, instantiates the graph and caches it under key (replacing one cached there); key UINT64_MAX
   discards the recording instead (to abandon a capture). On error (a capture that failed or was invalidated)
   nothing is cached and the stream runs work normally again. */
K2_API int32_t k2_graph_end_capture(k2_context* context, k2_stream* stream, uint64_t key);

/* Queues the graph cached under key on the stream; *found = 1, or 0 with nothing queued when there is none. */
K2_API int32_t k2_graph_launch(k2_context* context, k2_stream* stream, uint64_t key, int32_t* found);

/* Destroys every cached graph of the context (needed once a buffer a graph captured was freed or moved). */
K2_API int32_t k2_graph_cache_clear(k2_context* context);

/* ---- Dense products ---- */

/* y[t, n] = sum_k x[t, k] * w[n, k] for t < tokens, w [n, k] bf16 or INT4 as w->format says (dequantization fused);
   float32 accumulation. y must not overlap x. The library picks the kernel: the GEMV path, or from
   k2_context_params.tensor_core_min_tokens tokens on the tensor-core tiles (INT4 there needs group_size % 32 == 0;
   other INT4 matrices stay on the GEMV path; FP8 (e4m3 decoded to float32 in registers) always takes the GEMV path).
   On error nothing is launched and y is unchanged. */
K2_API int32_t k2_gemm(k2_context* context, k2_stream* stream, const k2_matrix* w, const float* x, int64_t x_stride,
                       float* y, int64_t y_stride, int32_t tokens);

/* ---- Small ops ---- */

/* y[t, :] = table[tokens[t], :] (bf16 table widened). An id outside [0, table rows) gives a NaN row. */
K2_API int32_t k2_embed(k2_context* context, k2_stream* stream, const k2_matrix* table, const int32_t* tokens,
                        int32_t count, float* y, int64_t y_stride);

/* With residual non-NULL first x += residual; then y = weight * x / sqrt(mean(x^2) + eps), row by row, statistics in
   float32. y may be x. On error nothing is changed. */
K2_API int32_t k2_rms_norm(k2_context* context, k2_stream* stream, float* x, int64_t x_stride, const float* residual,
                           int64_t residual_stride, const float* weight, float eps, int32_t rows, int32_t cols,
                           float* y, int64_t y_stride);

/* acc += delta, elementwise over rows x cols. */
K2_API int32_t k2_add(k2_context* context, k2_stream* stream, float* acc, int64_t acc_stride, const float* delta,
                      int64_t delta_stride, int32_t rows, int32_t cols);

/* y = silu(gate) * up; y may be gate or up. */
K2_API int32_t k2_silu_mul(k2_context* context, k2_stream* stream, const float* gate, int64_t gate_stride,
                           const float* up, int64_t up_stride, float* y, int64_t y_stride, int32_t rows, int32_t cols);

/* dst[i, :] = src[rows[i], :] for i < count; a row index outside [0, src_rows) gives a NaN row. */
K2_API int32_t k2_gather_rows(k2_context* context, k2_stream* stream, const float* src, int64_t src_stride,
                              int32_t src_rows, const int32_t* rows, int32_t count, int32_t cols, float* dst,
                              int64_t dst_stride);

/* Rotary embedding on interleaved pairs, in place: for each row t and head h, the pairs (x[c], x[c+1]) at
   c = h*head_stride + offset + 2i are rotated by angle positions[t] * inv_freq[i] (float64; inv_freq in device
   memory), cos and sin scaled by cos_sin_scale. pairs <= K2_MAX_ROPE_PAIRS. */
K2_API int32_t k2_rope(k2_context* context, k2_stream* stream, float* x, int64_t x_stride, int32_t rows, int32_t heads,
                       int32_t head_stride, int32_t offset, const double* inv_freq, int32_t pairs, float cos_sin_scale,
                       const int32_t* positions);

/* ---- Attention ---- */

/* Expanded causal MLA (the prefill form without cache): q [T, H*(Dn+Dr)] (rope applied), kv [S, H*(Dn+Dv)],
   kpe [S, Dr] (rope applied); query t attends to keys 0..positions[t]; out [T, H*Dv]. Softmax in float32.
   A position outside [0, keys) gives NaN for that token. nope/rope/value dims <= K2_MAX_HEAD_DIM. */
K2_API int32_t k2_attention_prefill(k2_context* context, k2_stream* stream, const k2_attention_shape* shape,
                                    const float* q, int64_t q_stride, const float* kv, int64_t kv_stride,
                                    const float* kpe, int64_t kpe_stride, const int32_t* positions, int32_t tokens,
                                    int32_t keys, float* out, int64_t out_stride);

/* Stores row t of latent [T, latent_dim] and kpe [T, rope_dim] into slot slots[t] of `layer` (bf16 caches round
   once). A slot outside the pool is skipped. On error nothing is written. */
K2_API int32_t k2_kv_append(k2_context* context, k2_stream* stream, const k2_kv_cache* cache, int32_t layer,
                            const float* latent, int64_t latent_stride, const float* kpe, int64_t kpe_stride,
                            const int32_t* slots, int32_t tokens);

/* Folds the k_nope half of kv_b into the queries: q_latent[t, h, :] = sum_d q[t, h, d] * kv_b[h*(Dn+Dv) + d, :] over
   the Dn non-rotated columns of head h. kv_b [H*(Dn+Dv), latent_dim] bf16 or INT4; q [T, H*(Dn+Dr)];
   q_latent [T, H*latent_dim]. */
K2_API int32_t k2_mla_absorb_query(k2_context* context, k2_stream* stream, const k2_attention_shape* shape,
                                   const k2_matrix* kv_b, const float* q, int64_t q_stride, int32_t tokens,
                                   float* q_latent, int64_t q_latent_stride);

/* Bytes of workspace k2_mla_decode needs for this batch size and key-count bound: at most 256 MiB plus one token's
   split partials (splits x heads x (latent_dim + 2) floats), however many tokens the batch holds. */
K2_API int32_t k2_mla_decode_workspace_size(const k2_attention_shape* shape, int32_t tokens, int32_t max_key_count,
                                            size_t* bytes);

/* Absorbed MLA over the paged cache (decode and prefill of the paged path): token t, head h scores
   (q_latent[t,h]·c[s] + q_rope[t,h]·k_pe[s]) * softmax_scale over its first key_counts[t] entries, softmax,
   o_latent[t, h, :] = sum p(s) c[s]. q_rope is read from the rope columns of q [T, H*(Dn+Dr)]. Keys are split into
   chunks whose size depends only on the token's key count (split-K); a combine kernel merges the chunks in order,
   so a token's result does not depend on the rest of the batch. A token whose key count is < 1, above
   max_key_count or beyond its table, or whose table names a block outside the pool, gets NaN. */
K2_API int32_t k2_mla_decode(k2_context* context, k2_stream* stream, const k2_attention_shape* shape,
                             const k2_kv_cache* cache, int32_t layer, const k2_paged_batch* batch,
                             const float* q_latent, int64_t q_latent_stride, const float* q, int64_t q_stride,
                             float* o_latent, int64_t o_latent_stride, void* workspace, size_t workspace_bytes);

/* The v half of kv_b per head: out[t, h, v] = sum_r kv_b[h*(Dn+Dv) + Dn + v, r] * o_latent[t, h, r]; out [T, H*Dv]. */
K2_API int32_t k2_mla_expand_values(k2_context* context, k2_stream* stream, const k2_attention_shape* shape,
                                    const k2_matrix* kv_b, const float* o_latent, int64_t o_latent_stride,
                                    int32_t tokens, float* out, int64_t out_stride);

/* ---- Mixture of experts ---- */

/* Fills *params with K2 Thinking's routing rules. */
K2_API int32_t k2_router_default_params(k2_router_params* params);

/* Top-k routing from router logits [T, experts]: s = sigmoid(logit); selection on s + bias[e] (bias [experts], device),
   limited to the best topk_groups groups (group score = sum of its two best biased scores); weights = unbiased s of the
   chosen experts, renormalized when params->normalize, times scaling_factor. ids come best first, ties to the lower
   id, exactly as the CPU backend. ids [T, top_k] int32, weights [T, top_k] float32, both device memory. A token with
   fewer than top_k selectable (finite) scores gets id -1 and weight NaN in the slots it cannot fill. */
K2_API int32_t k2_moe_route(k2_context* context, k2_stream* stream, const k2_router_params* params, const float* logits,
                            int64_t logits_stride, const float* bias, int32_t tokens, int32_t* ids, float* weights);

/* Fills *params with K2 Thinking's routed-expert shapes. */
K2_API int32_t k2_moe_default_params(k2_moe_params* params);

/* Bytes of workspace k2_moe_experts needs for `tokens` tokens. */
K2_API int32_t k2_moe_workspace_size(const k2_moe_params* params, int32_t tokens, size_t* bytes);

/* acc[t, :] += sum_k weights[t, k] * expert_{ids[t, k]}(x[t, :]) with expert(x) = down(silu(gate x) * up x), in one
   pass over the chosen experts: slots sorted by expert, gate and up products with the SiLU-multiply fused, down
   product, then a per-token weighted sum in k order (deterministic). experts: device array [params->experts].
   An id outside [0, experts) makes the token's acc row NaN. On error nothing is launched. */
K2_API int32_t k2_moe_experts(k2_context* context, k2_stream* stream, const k2_moe_params* params,
                              const k2_expert_weights* experts, const float* x, int64_t x_stride, int32_t tokens,
                              const int32_t* ids, const float* weights, float* acc, int64_t acc_stride, void* workspace,
                              size_t workspace_bytes);

/* ---- Sampling ---- */

/* ids[r] = index of the first maximum of logits row r (cols values); -1 when the row holds a NaN or is all -inf. */
K2_API int32_t k2_argmax(k2_context* context, k2_stream* stream, const float* logits, int64_t logits_stride,
                         int32_t rows, int32_t cols, int32_t* ids);

/* Nucleus sampling per row: p = softmax(logits / temperature); keep the most likely tokens whose mass reaches top_p
   (at least one; tokens tied with the last one kept stay), draw with uniforms[r] in [0, 1) (device memory) over the
   kept tokens in index order. temperature > 0, 0 < top_p <= 1. ids[r] = -1 when the row holds a NaN or +inf or is
   all -inf. */
K2_API int32_t k2_sample_top_p(k2_context* context, k2_stream* stream, const float* logits, int64_t logits_stride,
                               int32_t rows, int32_t cols, float temperature, float top_p, const float* uniforms,
                               int32_t* ids);

#ifdef __cplusplus
}
#endif

#endif /* K2NATIVE_H */

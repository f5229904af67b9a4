using System.Runtime.InteropServices;

namespace K2Native.Backends.Cuda.Native.Generated;

internal static unsafe partial class K2Api
{
    [DllImport("k2native", CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    [return: NativeTypeName("uint32_t")]
    public static extern uint k2_abi_version();

    [DllImport("k2native", CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    [return: NativeTypeName("size_t")]
    public static extern nuint k2_last_error([NativeTypeName("char *")] sbyte* buf, [NativeTypeName("size_t")] nuint cap);

    [DllImport("k2native", CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    [return: NativeTypeName("int32_t")]
    public static extern int k2_device_count([NativeTypeName("int32_t *")] int* count);

    [DllImport("k2native", CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    [return: NativeTypeName("int32_t")]
    public static extern int k2_device_get_info([NativeTypeName("int32_t")] int device, k2_device_info* info);

    [DllImport("k2native", CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    [return: NativeTypeName("int32_t")]
    public static extern int k2_context_default_params(k2_context_params* @params);

    [DllImport("k2native", CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    [return: NativeTypeName("int32_t")]
    public static extern int k2_context_create([NativeTypeName("const k2_context_params *")] k2_context_params* @params, k2_context** context);

    [DllImport("k2native", CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    [return: NativeTypeName("int32_t")]
    public static extern int k2_context_destroy(k2_context* context);

    [DllImport("k2native", CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    [return: NativeTypeName("int32_t")]
    public static extern int k2_stream_create(k2_context* context, k2_stream** stream);

    [DllImport("k2native", CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    [return: NativeTypeName("int32_t")]
    public static extern int k2_stream_destroy(k2_stream* stream);

    [DllImport("k2native", CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    [return: NativeTypeName("int32_t")]
    public static extern int k2_stream_synchronize(k2_context* context, k2_stream* stream);

    [DllImport("k2native", CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    [return: NativeTypeName("int32_t")]
    public static extern int k2_memory_alloc(k2_context* context, [NativeTypeName("size_t")] nuint bytes, void** pointer);

    [DllImport("k2native", CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    [return: NativeTypeName("int32_t")]
    public static extern int k2_memory_free(k2_context* context, void* pointer);

    [DllImport("k2native", CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    [return: NativeTypeName("int32_t")]
    public static extern int k2_memory_upload(k2_context* context, k2_stream* stream, void* dst, [NativeTypeName("const void *")] void* src, [NativeTypeName("size_t")] nuint bytes);

    [DllImport("k2native", CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    [return: NativeTypeName("int32_t")]
    public static extern int k2_memory_download(k2_context* context, k2_stream* stream, void* dst, [NativeTypeName("const void *")] void* src, [NativeTypeName("size_t")] nuint bytes);

    [DllImport("k2native", CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    [return: NativeTypeName("int32_t")]
    public static extern int k2_memory_copy(k2_context* context, k2_stream* stream, void* dst, [NativeTypeName("const void *")] void* src, [NativeTypeName("size_t")] nuint bytes);

    [DllImport("k2native", CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    [return: NativeTypeName("int32_t")]
    public static extern int k2_memory_clear_2d(k2_context* context, k2_stream* stream, void* dst, [NativeTypeName("size_t")] nuint pitch_bytes, [NativeTypeName("size_t")] nuint width_bytes, [NativeTypeName("int32_t")] int rows);

    [DllImport("k2native", CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    [return: NativeTypeName("int32_t")]
    public static extern int k2_gemm_bf16(k2_context* context, k2_stream* stream, [NativeTypeName("const k2_matrix *")] k2_matrix* w, [NativeTypeName("const float *")] float* x, [NativeTypeName("int64_t")] long x_stride, float* y, [NativeTypeName("int64_t")] long y_stride, [NativeTypeName("int32_t")] int tokens);

    [DllImport("k2native", CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    [return: NativeTypeName("int32_t")]
    public static extern int k2_gemm_int4(k2_context* context, k2_stream* stream, [NativeTypeName("const k2_matrix *")] k2_matrix* w, [NativeTypeName("const float *")] float* x, [NativeTypeName("int64_t")] long x_stride, float* y, [NativeTypeName("int64_t")] long y_stride, [NativeTypeName("int32_t")] int tokens);

    [DllImport("k2native", CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    [return: NativeTypeName("int32_t")]
    public static extern int k2_gemm_fp8(k2_context* context, k2_stream* stream, [NativeTypeName("const k2_matrix *")] k2_matrix* w, [NativeTypeName("const float *")] float* x, [NativeTypeName("int64_t")] long x_stride, float* y, [NativeTypeName("int64_t")] long y_stride, [NativeTypeName("int32_t")] int tokens);

    [DllImport("k2native", CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    [return: NativeTypeName("int32_t")]
    public static extern int k2_embed(k2_context* context, k2_stream* stream, [NativeTypeName("const k2_matrix *")] k2_matrix* table, [NativeTypeName("const int32_t *")] int* tokens, [NativeTypeName("int32_t")] int count, float* y, [NativeTypeName("int64_t")] long y_stride);

    [DllImport("k2native", CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    [return: NativeTypeName("int32_t")]
    public static extern int k2_rms_norm(k2_context* context, k2_stream* stream, float* x, [NativeTypeName("int64_t")] long x_stride, [NativeTypeName("const float *")] float* residual, [NativeTypeName("int64_t")] long residual_stride, [NativeTypeName("const float *")] float* weight, float eps, [NativeTypeName("int32_t")] int rows, [NativeTypeName("int32_t")] int cols, float* y, [NativeTypeName("int64_t")] long y_stride);

    [DllImport("k2native", CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    [return: NativeTypeName("int32_t")]
    public static extern int k2_add(k2_context* context, k2_stream* stream, float* acc, [NativeTypeName("int64_t")] long acc_stride, [NativeTypeName("const float *")] float* delta, [NativeTypeName("int64_t")] long delta_stride, [NativeTypeName("int32_t")] int rows, [NativeTypeName("int32_t")] int cols);

    [DllImport("k2native", CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    [return: NativeTypeName("int32_t")]
    public static extern int k2_silu_mul(k2_context* context, k2_stream* stream, [NativeTypeName("const float *")] float* gate, [NativeTypeName("int64_t")] long gate_stride, [NativeTypeName("const float *")] float* up, [NativeTypeName("int64_t")] long up_stride, float* y, [NativeTypeName("int64_t")] long y_stride, [NativeTypeName("int32_t")] int rows, [NativeTypeName("int32_t")] int cols);

    [DllImport("k2native", CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    [return: NativeTypeName("int32_t")]
    public static extern int k2_gather_rows(k2_context* context, k2_stream* stream, [NativeTypeName("const float *")] float* src, [NativeTypeName("int64_t")] long src_stride, [NativeTypeName("int32_t")] int src_rows, [NativeTypeName("const int32_t *")] int* rows, [NativeTypeName("int32_t")] int count, [NativeTypeName("int32_t")] int cols, float* dst, [NativeTypeName("int64_t")] long dst_stride);

    [DllImport("k2native", CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    [return: NativeTypeName("int32_t")]
    public static extern int k2_rope(k2_context* context, k2_stream* stream, float* x, [NativeTypeName("int64_t")] long x_stride, [NativeTypeName("int32_t")] int rows, [NativeTypeName("int32_t")] int heads, [NativeTypeName("int32_t")] int head_stride, [NativeTypeName("int32_t")] int offset, [NativeTypeName("const double *")] double* inv_freq, [NativeTypeName("int32_t")] int pairs, float cos_sin_scale, [NativeTypeName("const int32_t *")] int* positions);

    [DllImport("k2native", CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    [return: NativeTypeName("int32_t")]
    public static extern int k2_attention_prefill(k2_context* context, k2_stream* stream, [NativeTypeName("const k2_attention_shape *")] k2_attention_shape* shape, [NativeTypeName("const float *")] float* q, [NativeTypeName("int64_t")] long q_stride, [NativeTypeName("const float *")] float* kv, [NativeTypeName("int64_t")] long kv_stride, [NativeTypeName("const float *")] float* kpe, [NativeTypeName("int64_t")] long kpe_stride, [NativeTypeName("const int32_t *")] int* positions, [NativeTypeName("int32_t")] int tokens, [NativeTypeName("int32_t")] int keys, float* @out, [NativeTypeName("int64_t")] long out_stride);

    [DllImport("k2native", CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    [return: NativeTypeName("int32_t")]
    public static extern int k2_kv_append(k2_context* context, k2_stream* stream, [NativeTypeName("const k2_kv_cache *")] k2_kv_cache* cache, [NativeTypeName("int32_t")] int layer, [NativeTypeName("const float *")] float* latent, [NativeTypeName("int64_t")] long latent_stride, [NativeTypeName("const float *")] float* kpe, [NativeTypeName("int64_t")] long kpe_stride, [NativeTypeName("const int32_t *")] int* slots, [NativeTypeName("int32_t")] int tokens);

    [DllImport("k2native", CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    [return: NativeTypeName("int32_t")]
    public static extern int k2_mla_absorb_query(k2_context* context, k2_stream* stream, [NativeTypeName("const k2_attention_shape *")] k2_attention_shape* shape, [NativeTypeName("const k2_matrix *")] k2_matrix* kv_b, [NativeTypeName("const float *")] float* q, [NativeTypeName("int64_t")] long q_stride, [NativeTypeName("int32_t")] int tokens, float* q_latent, [NativeTypeName("int64_t")] long q_latent_stride);

    [DllImport("k2native", CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    [return: NativeTypeName("int32_t")]
    public static extern int k2_mla_decode_workspace_size([NativeTypeName("const k2_attention_shape *")] k2_attention_shape* shape, [NativeTypeName("int32_t")] int tokens, [NativeTypeName("int32_t")] int max_key_count, [NativeTypeName("size_t *")] nuint* bytes);

    [DllImport("k2native", CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    [return: NativeTypeName("int32_t")]
    public static extern int k2_mla_decode(k2_context* context, k2_stream* stream, [NativeTypeName("const k2_attention_shape *")] k2_attention_shape* shape, [NativeTypeName("const k2_kv_cache *")] k2_kv_cache* cache, [NativeTypeName("int32_t")] int layer, [NativeTypeName("const k2_paged_batch *")] k2_paged_batch* batch, [NativeTypeName("const float *")] float* q_latent, [NativeTypeName("int64_t")] long q_latent_stride, [NativeTypeName("const float *")] float* q, [NativeTypeName("int64_t")] long q_stride, float* o_latent, [NativeTypeName("int64_t")] long o_latent_stride, void* workspace, [NativeTypeName("size_t")] nuint workspace_bytes);

    [DllImport("k2native", CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    [return: NativeTypeName("int32_t")]
    public static extern int k2_mla_expand_values(k2_context* context, k2_stream* stream, [NativeTypeName("const k2_attention_shape *")] k2_attention_shape* shape, [NativeTypeName("const k2_matrix *")] k2_matrix* kv_b, [NativeTypeName("const float *")] float* o_latent, [NativeTypeName("int64_t")] long o_latent_stride, [NativeTypeName("int32_t")] int tokens, float* @out, [NativeTypeName("int64_t")] long out_stride);

    [DllImport("k2native", CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    [return: NativeTypeName("int32_t")]
    public static extern int k2_router_default_params(k2_router_params* @params);

    [DllImport("k2native", CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    [return: NativeTypeName("int32_t")]
    public static extern int k2_moe_route(k2_context* context, k2_stream* stream, [NativeTypeName("const k2_router_params *")] k2_router_params* @params, [NativeTypeName("const float *")] float* logits, [NativeTypeName("int64_t")] long logits_stride, [NativeTypeName("const float *")] float* bias, [NativeTypeName("int32_t")] int tokens, [NativeTypeName("int32_t *")] int* ids, float* weights);

    [DllImport("k2native", CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    [return: NativeTypeName("int32_t")]
    public static extern int k2_moe_default_params(k2_moe_params* @params);

    [DllImport("k2native", CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    [return: NativeTypeName("int32_t")]
    public static extern int k2_moe_workspace_size([NativeTypeName("const k2_moe_params *")] k2_moe_params* @params, [NativeTypeName("int32_t")] int tokens, [NativeTypeName("size_t *")] nuint* bytes);

    [DllImport("k2native", CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    [return: NativeTypeName("int32_t")]
    public static extern int k2_moe_experts(k2_context* context, k2_stream* stream, [NativeTypeName("const k2_moe_params *")] k2_moe_params* @params, [NativeTypeName("const k2_expert_weights *")] k2_expert_weights* experts, [NativeTypeName("const float *")] float* x, [NativeTypeName("int64_t")] long x_stride, [NativeTypeName("int32_t")] int tokens, [NativeTypeName("const int32_t *")] int* ids, [NativeTypeName("const float *")] float* weights, float* acc, [NativeTypeName("int64_t")] long acc_stride, void* workspace, [NativeTypeName("size_t")] nuint workspace_bytes);

    [DllImport("k2native", CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    [return: NativeTypeName("int32_t")]
    public static extern int k2_argmax(k2_context* context, k2_stream* stream, [NativeTypeName("const float *")] float* logits, [NativeTypeName("int64_t")] long logits_stride, [NativeTypeName("int32_t")] int rows, [NativeTypeName("int32_t")] int cols, [NativeTypeName("int32_t *")] int* ids);

    [DllImport("k2native", CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    [return: NativeTypeName("int32_t")]
    public static extern int k2_sample_top_p(k2_context* context, k2_stream* stream, [NativeTypeName("const float *")] float* logits, [NativeTypeName("int64_t")] long logits_stride, [NativeTypeName("int32_t")] int rows, [NativeTypeName("int32_t")] int cols, float temperature, float top_p, [NativeTypeName("const float *")] float* uniforms, [NativeTypeName("int32_t *")] int* ids);

    [NativeTypeName("#define K2_ABI_VERSION 2")]
    public const int K2_ABI_VERSION = 2;

    [NativeTypeName("#define K2_MAX_EXPERTS 512")]
    public const int K2_MAX_EXPERTS = 512;

    [NativeTypeName("#define K2_MAX_TOP_K 16")]
    public const int K2_MAX_TOP_K = 16;

    [NativeTypeName("#define K2_MAX_EXPERT_GROUPS 64")]
    public const int K2_MAX_EXPERT_GROUPS = 64;

    [NativeTypeName("#define K2_MAX_LATENT_DIM 512")]
    public const int K2_MAX_LATENT_DIM = 512;

    [NativeTypeName("#define K2_MAX_ROPE_DIM 128")]
    public const int K2_MAX_ROPE_DIM = 128;

    [NativeTypeName("#define K2_MAX_HEAD_DIM 256")]
    public const int K2_MAX_HEAD_DIM = 256;

    [NativeTypeName("#define K2_MAX_ROPE_PAIRS 256")]
    public const int K2_MAX_ROPE_PAIRS = 256;
}

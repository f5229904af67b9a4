// Every extern "C" function of k2native.h: argument checks, device selection, the stream, and the try/catch that
// keeps exceptions and CUDA errors from ever crossing the boundary. The kernels' launchers (one .cuh per op) do
// the work; they assume the checks made here.
#include <cstring>
#include <new>
#include <unordered_map>

#include "attention_prefill.cuh"
#include "common.cuh"
#include "elementwise.cuh"
#include "embed.cuh"
#include "gemm.cuh"
#include "gemm_tc.cuh"
#include "kv_append.cuh"
#include "mla_absorb.cuh"
#include "mla_decode.cuh"
#include "moe.cuh"
#include "rms_norm.cuh"
#include "rope.cuh"
#include "route.cuh"
#include "sampling.cuh"

struct k2_context {
    int32_t device;
    cudaStream_t stream;
    k2::DeviceLimits limits;
    std::unordered_map<uint64_t, cudaGraphExec_t> graphs;   // k2_graph_* cache, by the caller's key
};

struct k2_stream {
    k2_context* context;
    cudaStream_t stream;
};

namespace {

using k2::fail;

// Runs body and turns anything it throws into a status.
template <typename Body>
int32_t guarded(const char* function, Body body) noexcept
{
    try {
        return body();
    } catch (const std::bad_alloc&) {
        return fail(K2_ERR_OUT_OF_MEMORY, "%s: host memory exhausted", function);
    } catch (...) {
        return fail(K2_ERR_INTERNAL, "%s: unexpected exception", function);
    }
}

#define K2_CHECK(condition, ...) \
    do { if (!(condition)) return fail(K2_ERR_INVALID_ARGUMENT, __VA_ARGS__); } while (0)
#define K2_TRY(expression) \
    do { int32_t k2_status_ = (expression); if (k2_status_ != K2_OK) return k2_status_; } while (0)

int32_t cuda(cudaError_t error, const char* what) { return error == cudaSuccess ? K2_OK : k2::cuda_fail(error, what); }

int32_t enter(const char* function, k2_context* context, k2_stream* stream, cudaStream_t* out);

// The preamble of every export that queues work, in one place: the try/catch, the context's device made current
// and the stream resolved; body(function, stream) does the rest. Call it with __func__.
template <typename Body>
int32_t on_stream(const char* function, k2_context* context, k2_stream* stream, Body body) noexcept
{
    return guarded(function, [&]() -> int32_t {
        cudaStream_t s;
        K2_TRY(enter(function, context, stream, &s));
        return body(function, s);
    });
}

// Makes the context's device current on this thread and resolves the stream (NULL: the context's own).
int32_t enter(const char* function, k2_context* context, k2_stream* stream, cudaStream_t* out)
{
    K2_CHECK(context != nullptr, "%s: context is NULL", function);
    K2_CHECK(stream == nullptr || stream->context == context, "%s: the stream belongs to another context", function);
    K2_TRY(cuda(cudaSetDevice(context->device), function));
    *out = stream != nullptr ? stream->stream : context->stream;
    return K2_OK;
}

// A float32 matrix argument: non-NULL with a row stride of at least `cols` when it has elements.
int32_t check_rows(const char* function, const char* name, const void* p, int64_t stride, int32_t rows, int64_t cols)
{
    K2_CHECK(rows >= 0 && cols >= 0, "%s: %s has %d rows and %lld columns", function, name, rows,
             static_cast<long long>(cols));
    if (rows == 0 || cols == 0) return K2_OK;
    K2_CHECK(p != nullptr, "%s: %s is NULL", function, name);
    K2_CHECK(stride >= cols, "%s: %s row stride %lld is below its %lld columns", function, name,
             static_cast<long long>(stride), static_cast<long long>(cols));
    return K2_OK;
}

int32_t check_matrix(const char* function, const char* name, const k2_matrix* m, k2::MatrixView* view)
{
    K2_CHECK(m != nullptr, "%s: %s is NULL", function, name);
    K2_CHECK(m->struct_size == sizeof(k2_matrix), "%s: %s.struct_size is %u, expected %zu", function, name,
             m->struct_size, sizeof(k2_matrix));
    K2_CHECK(m->rows >= 0 && m->cols >= 0, "%s: %s is [%d, %d]", function, name, m->rows, m->cols);
    K2_CHECK(m->data != nullptr || m->rows == 0 || m->cols == 0, "%s: %s.data is NULL", function, name);
    // The header promises 16-byte aligned data (and scales): the kernels' wide loads rely on it for every format.
    K2_CHECK(reinterpret_cast<uintptr_t>(m->data) % 16 == 0, "%s: %s.data %p is not 16-byte aligned", function, name,
             m->data);
    switch (m->format) {
    case K2_FORMAT_BF16:
        break;
    case K2_FORMAT_INT4:
        K2_CHECK(m->group_size > 0 && m->group_size % 8 == 0 && m->cols % m->group_size == 0,
                 "%s: %s is INT4 [%d, %d] with group size %d: cols must be a multiple of the group size, itself a "
                 "multiple of 8",
                 function, name, m->rows, m->cols, m->group_size);
        K2_CHECK(m->scales != nullptr || m->rows == 0, "%s: %s.scales is NULL", function, name);
        K2_CHECK(reinterpret_cast<uintptr_t>(m->scales) % 16 == 0, "%s: %s.scales %p is not 16-byte aligned", function,
                 name, m->scales);
        break;
    case K2_FORMAT_FP8:
        K2_CHECK(m->cols % 8 == 0, "%s: %s is FP8 [%d, %d]: cols must be a multiple of 8", function, name, m->rows,
                 m->cols);
        K2_CHECK(reinterpret_cast<uintptr_t>(m->data) % 8 == 0, "%s: %s.data is not 8-byte aligned", function, name);
        K2_CHECK(m->scales != nullptr || m->rows == 0, "%s: %s.scales is NULL", function, name);
        break;
    default:
        return fail(K2_ERR_INVALID_ARGUMENT, "%s: %s.format %d is not a k2_format", function, name, m->format);
    }
    *view = k2::MatrixView{m->format, m->rows, m->cols, m->group_size, m->data, m->scales};
    return K2_OK;
}

int32_t check_shape(const char* function, const k2_attention_shape* s)
{
    K2_CHECK(s != nullptr, "%s: shape is NULL", function);
    K2_CHECK(s->struct_size == sizeof(k2_attention_shape), "%s: shape.struct_size is %u, expected %zu", function,
             s->struct_size, sizeof(k2_attention_shape));
    K2_CHECK(s->heads > 0 && s->nope_dim >= 0 && s->rope_dim >= 0 && s->value_dim > 0 && s->latent_dim >= 0,
             "%s: attention shape heads %d, nope %d, rope %d, value %d, latent %d", function, s->heads, s->nope_dim,
             s->rope_dim, s->value_dim, s->latent_dim);
    return K2_OK;
}

int32_t check_cache(const char* function, const k2_kv_cache* c, k2::KvCacheView* view)
{
    K2_CHECK(c != nullptr, "%s: cache is NULL", function);
    K2_CHECK(c->struct_size == sizeof(k2_kv_cache), "%s: cache.struct_size is %u, expected %zu", function,
             c->struct_size, sizeof(k2_kv_cache));
    K2_CHECK(c->dtype == K2_KV_F32 || c->dtype == K2_KV_BF16, "%s: cache.dtype %d is not a k2_kv_dtype", function,
             c->dtype);
    K2_CHECK(c->layers > 0 && c->blocks > 0 && c->block_size > 0 && c->latent_dim > 0 && c->rope_dim >= 0
                 && c->data != nullptr,
             "%s: cache of %d layers, %d blocks of %d, entries %d + %d, data %p", function, c->layers, c->blocks,
             c->block_size, c->latent_dim, c->rope_dim, c->data);
    K2_CHECK(static_cast<int64_t>(c->blocks) * c->block_size <= 2147483647,
             "%s: cache of %d blocks of %d exceeds 2^31 slots", function, c->blocks, c->block_size);
    *view = k2::KvCacheView{c->dtype, c->layers, static_cast<int64_t>(c->blocks) * c->block_size,
                            c->block_size, c->blocks, c->latent_dim, c->rope_dim, c->data};
    return K2_OK;
}

int32_t check_router(const char* function, const k2_router_params* p)
{
    K2_CHECK(p != nullptr, "%s: params is NULL", function);
    K2_CHECK(p->struct_size == sizeof(k2_router_params), "%s: params.struct_size is %u, expected %zu", function,
             p->struct_size, sizeof(k2_router_params));
    K2_CHECK(p->experts > 0 && p->top_k > 0 && p->top_k <= p->experts && p->groups > 0 && p->experts % p->groups == 0
                 && p->topk_groups > 0 && p->topk_groups <= p->groups && (p->normalize == 0 || p->normalize == 1),
             "%s: router of %d experts, top-%d, %d groups keeping %d, normalize %d", function, p->experts, p->top_k,
             p->groups, p->topk_groups, p->normalize);
    if (p->experts > K2_MAX_EXPERTS || p->top_k > K2_MAX_TOP_K || p->groups > K2_MAX_EXPERT_GROUPS)
        return fail(K2_ERR_UNSUPPORTED, "%s: %d experts, top-%d, %d groups exceed the limits (%d, %d, %d)", function,
                    p->experts, p->top_k, p->groups, K2_MAX_EXPERTS, K2_MAX_TOP_K, K2_MAX_EXPERT_GROUPS);
    K2_CHECK(p->groups == 1 || p->top_k <= p->topk_groups * (p->experts / p->groups),
             "%s: top-%d cannot be filled from %d groups of %d experts", function, p->top_k, p->topk_groups,
             p->experts / p->groups);
    return K2_OK;
}

int32_t check_moe(const char* function, const k2_moe_params* p)
{
    K2_CHECK(p != nullptr, "%s: params is NULL", function);
    K2_CHECK(p->struct_size == sizeof(k2_moe_params), "%s: params.struct_size is %u, expected %zu", function,
             p->struct_size, sizeof(k2_moe_params));
    K2_CHECK(p->experts > 0 && p->top_k > 0 && p->top_k <= p->experts && p->hidden > 0 && p->inner > 0,
             "%s: %d experts, top-%d, hidden %d, inner %d", function, p->experts, p->top_k, p->hidden, p->inner);
    K2_CHECK(p->format == K2_FORMAT_BF16 || p->format == K2_FORMAT_INT4 || p->format == K2_FORMAT_FP8,
             "%s: params.format %d is not a k2_format", function, p->format);
    if (p->format == K2_FORMAT_INT4)
        K2_CHECK(p->group_size > 0 && p->group_size % 8 == 0 && p->hidden % p->group_size == 0
                     && p->inner % p->group_size == 0,
                 "%s: INT4 group size %d must be a multiple of 8 dividing hidden %d and inner %d", function,
                 p->group_size, p->hidden, p->inner);
    if (p->experts > K2_MAX_EXPERTS || p->top_k > K2_MAX_TOP_K)
        return fail(K2_ERR_UNSUPPORTED, "%s: %d experts, top-%d exceed the limits (%d, %d)", function, p->experts,
                    p->top_k, K2_MAX_EXPERTS, K2_MAX_TOP_K);
    if (p->hidden % 8 != 0 || p->inner % 8 != 0)
        return fail(K2_ERR_UNSUPPORTED, "%s: hidden %d and inner %d must be multiples of 8", function, p->hidden,
                    p->inner);
    return K2_OK;
}

// The one place that picks the product kernel for a matrix: its format (from the descriptor) and the token count.
// Tensor cores from the context's threshold on, except INT4 matrices whose groups they cannot scale exactly.
int32_t gemm(const char* function, cudaStream_t s, const k2_context* context, const k2_matrix* w, const float* x,
             int64_t x_stride, float* y, int64_t y_stride, int32_t tokens)
{
    k2::MatrixView view;
    K2_TRY(check_matrix(function, "w", w, &view));
    K2_TRY(check_rows(function, "x", x, x_stride, tokens, view.cols));
    K2_TRY(check_rows(function, "y", y, y_stride, tokens, view.rows));
    const int32_t threshold = context->limits.tensor_core_min_tokens;
    const bool tiles = threshold > 0 && tokens >= threshold && view.format != K2_FORMAT_FP8
                       && (view.format != K2_FORMAT_INT4 || k2::tensor_core_int4_ok(view));
    if (tiles)
        return k2::launch_gemm_tensor_core(view, x, x_stride, y, y_stride, tokens, context->limits.compute_major, s);
    return k2::launch_gemv(k2::GemvArgs{view, 0, 0, view.rows, view.cols, 1, x, x_stride, 0, y, y_stride, 0, tokens},
                           s);
}

// kv_b of absorbed MLA: a valid matrix of [heads·(nope + value), latent] rows and columns.
int32_t check_kv_b(const char* function, const k2_attention_shape* shape, const k2_matrix* kv_b, k2::MatrixView* w)
{
    K2_TRY(check_matrix(function, "kv_b", kv_b, w));
    const long long rows = static_cast<long long>(shape->heads) * (shape->nope_dim + shape->value_dim);
    K2_CHECK(w->rows == rows && w->cols == shape->latent_dim,
             "%s: kv_b is [%d, %d]; %d heads of %d + %d rows and latent %d need [%lld, %d]", function, w->rows, w->cols,
             shape->heads, shape->nope_dim, shape->value_dim, shape->latent_dim, rows, shape->latent_dim);
    return K2_OK;
}

// An asynchronous copy of bytes in the direction kind, on the resolved stream.
int32_t copy_async(const char* function, k2_context* context, k2_stream* stream, void* dst, const void* src,
                   size_t bytes, cudaMemcpyKind kind)
{
    return guarded(function, [&]() -> int32_t {
        cudaStream_t s;
        K2_TRY(enter(function, context, stream, &s));
        if (bytes == 0) return K2_OK;
        K2_CHECK(dst != nullptr && src != nullptr, "%s: dst %p, src %p", function, dst, src);
        K2_TRY(cuda(cudaMemcpyAsync(dst, src, bytes, kind, s), function));
        if (kind != cudaMemcpyHostToDevice) return K2_OK;
        // From pageable memory the copy has read src when cudaMemcpyAsync returns; from pinned (page-locked) memory it
        // has not, so wait: the header promises that src may be reused on return either way.
        cudaPointerAttributes attributes;
        if (cudaPointerGetAttributes(&attributes, src) != cudaSuccess) {
            cudaGetLastError();   // unregistered host memory may report an error here on old runtimes: it is pageable
            return K2_OK;
        }
        return attributes.type == cudaMemoryTypeHost ? cuda(cudaStreamSynchronize(s), function) : K2_OK;
    });
}

}  // namespace

extern "C" {

uint32_t k2_abi_version(void) { return K2_ABI_VERSION; }

size_t k2_last_error(char* buf, size_t cap) { return k2::copy_last_error(buf, cap); }

int32_t k2_device_count(int32_t* count)
{
    return guarded("k2_device_count", [&]() -> int32_t {
        K2_CHECK(count != nullptr, "k2_device_count: count is NULL");
        *count = 0;
        int n = 0;
        cudaError_t error = cudaGetDeviceCount(&n);
        if (error != cudaSuccess) return k2::cuda_fail(error, "k2_device_count: cudaGetDeviceCount");
        if (n == 0) return fail(K2_ERR_NO_DEVICE, "k2_device_count: the driver reports no CUDA device");
        *count = n;
        return K2_OK;
    });
}

int32_t k2_device_get_info(int32_t device, k2_device_info* info)
{
    return guarded("k2_device_get_info", [&]() -> int32_t {
        K2_CHECK(info != nullptr, "k2_device_get_info: info is NULL");
        K2_CHECK(info->struct_size == sizeof(k2_device_info),
                 "k2_device_get_info: info->struct_size is %u, expected %zu", info->struct_size,
                 sizeof(k2_device_info));
        cudaDeviceProp p;
        K2_TRY(cuda(cudaGetDeviceProperties(&p, device), "k2_device_get_info: cudaGetDeviceProperties"));
        int driver = 0, runtime = 0;
        K2_TRY(cuda(cudaDriverGetVersion(&driver), "k2_device_get_info: cudaDriverGetVersion"));
        K2_TRY(cuda(cudaRuntimeGetVersion(&runtime), "k2_device_get_info: cudaRuntimeGetVersion"));
        k2_device_info out{};
        out.struct_size = sizeof(k2_device_info);
        out.device = device;
        strncpy(out.name, p.name, sizeof out.name - 1);
        out.multiprocessors = p.multiProcessorCount;
        out.compute_major = p.major;
        out.compute_minor = p.minor;
        out.driver_version = driver;
        out.runtime_version = runtime;
        out.total_memory_bytes = static_cast<int64_t>(p.totalGlobalMem);
        out.l2_cache_bytes = p.l2CacheSize;
        out.shared_memory_per_block = static_cast<int64_t>(p.sharedMemPerBlockOptin);
        *info = out;
        return K2_OK;
    });
}

int32_t k2_context_default_params(k2_context_params* params)
{
    return guarded("k2_context_default_params", [&]() -> int32_t {
        K2_CHECK(params != nullptr, "k2_context_default_params: params is NULL");
        *params = k2_context_params{sizeof(k2_context_params), 0, 0};
        return K2_OK;
    });
}

int32_t k2_context_create(const k2_context_params* params, k2_context** context)
{
    return guarded("k2_context_create", [&]() -> int32_t {
        K2_CHECK(context != nullptr, "k2_context_create: context is NULL");
        *context = nullptr;
        K2_CHECK(params != nullptr, "k2_context_create: params is NULL");
        K2_CHECK(params->struct_size == sizeof(k2_context_params),
                 "k2_context_create: params->struct_size is %u, expected %zu", params->struct_size,
                 sizeof(k2_context_params));
        K2_CHECK(params->tensor_core_min_tokens >= 0, "k2_context_create: tensor_core_min_tokens %d is negative",
                 params->tensor_core_min_tokens);
        int count = 0;
        cudaError_t error = cudaGetDeviceCount(&count);
        if (error != cudaSuccess) return k2::cuda_fail(error, "k2_context_create: cudaGetDeviceCount");
        if (params->device < 0 || params->device >= count)
            return fail(K2_ERR_NO_DEVICE, "k2_context_create: device %d requested, %d present", params->device, count);
        cudaDeviceProp p;
        K2_TRY(cuda(cudaGetDeviceProperties(&p, params->device), "k2_context_create: cudaGetDeviceProperties"));
        if (p.major < 8)
            return fail(K2_ERR_UNSUPPORTED,
                        "k2_context_create: %s has compute capability %d.%d; the kernels need 8.0 or newer", p.name,
                        p.major, p.minor);
        K2_TRY(cuda(cudaSetDevice(params->device), "k2_context_create: cudaSetDevice"));
        // The context is allocated before the stream, so a bad_alloc cannot leak a stream.
        auto* created = new k2_context{params->device, nullptr,
                                       k2::DeviceLimits{p.multiProcessorCount, p.major, params->tensor_core_min_tokens},
                                       {}};
        if (int32_t status = cuda(cudaStreamCreateWithFlags(&created->stream, cudaStreamNonBlocking),
                                  "k2_context_create: cudaStreamCreate")) {
            delete created;
            return status;
        }
        *context = created;
        return K2_OK;
    });
}

int32_t k2_context_destroy(k2_context* context)
{
    return guarded("k2_context_destroy", [&]() -> int32_t {
        if (context == nullptr) return K2_OK;
        int32_t status = cuda(cudaSetDevice(context->device), "k2_context_destroy: cudaSetDevice");
        int32_t sync = cuda(cudaStreamSynchronize(context->stream), "k2_context_destroy: cudaStreamSynchronize");
        for (auto& graph : context->graphs) cudaGraphExecDestroy(graph.second);
        int32_t destroy = cuda(cudaStreamDestroy(context->stream), "k2_context_destroy: cudaStreamDestroy");
        delete context;
        return status != K2_OK ? status : sync != K2_OK ? sync : destroy;
    });
}

int32_t k2_stream_create(k2_context* context, k2_stream** stream)
{
    return guarded("k2_stream_create", [&]() -> int32_t {
        K2_CHECK(stream != nullptr, "k2_stream_create: stream is NULL");
        *stream = nullptr;
        cudaStream_t ignored;
        K2_TRY(enter("k2_stream_create", context, nullptr, &ignored));
        auto* created = new k2_stream{context, nullptr};   // before the stream: a bad_alloc leaks nothing
        if (int32_t status = cuda(cudaStreamCreateWithFlags(&created->stream, cudaStreamNonBlocking),
                                  "k2_stream_create: cudaStreamCreate")) {
            delete created;
            return status;
        }
        *stream = created;
        return K2_OK;
    });
}

int32_t k2_stream_destroy(k2_stream* stream)
{
    return guarded("k2_stream_destroy", [&]() -> int32_t {
        if (stream == nullptr) return K2_OK;
        int32_t status = cuda(cudaSetDevice(stream->context->device), "k2_stream_destroy: cudaSetDevice");
        int32_t sync = cuda(cudaStreamSynchronize(stream->stream), "k2_stream_destroy: cudaStreamSynchronize");
        int32_t destroy = cuda(cudaStreamDestroy(stream->stream), "k2_stream_destroy: cudaStreamDestroy");
        delete stream;
        return status != K2_OK ? status : sync != K2_OK ? sync : destroy;
    });
}

int32_t k2_stream_synchronize(k2_context* context, k2_stream* stream)
{
    return on_stream(__func__, context, stream, [&](const char* f, cudaStream_t s) -> int32_t {
        return cuda(cudaStreamSynchronize(s), "k2_stream_synchronize");
    });
}

int32_t k2_graph_begin_capture(k2_context* context, k2_stream* stream)
{
    return on_stream(__func__, context, stream, [&](const char* f, cudaStream_t s) -> int32_t {
        // Thread-local: other threads keep working normally while this one records.
        return cuda(cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal), f);
    });
}

int32_t k2_graph_end_capture(k2_context* context, k2_stream* stream, uint64_t key)
{
    return on_stream(__func__, context, stream, [&](const char* f, cudaStream_t s) -> int32_t {
        cudaGraph_t graph = nullptr;
        K2_TRY(cuda(cudaStreamEndCapture(s, &graph),
                    "k2_graph_end_capture: cudaStreamEndCapture (the capture failed or was invalidated)"));
        if (key == UINT64_MAX) return cuda(cudaGraphDestroy(graph), f);
        cudaGraphExec_t exec = nullptr;
        const cudaError_t instantiated = cudaGraphInstantiate(&exec, graph, nullptr, nullptr, 0);
        cudaGraphDestroy(graph);
        K2_TRY(cuda(instantiated, "k2_graph_end_capture: cudaGraphInstantiate"));
        auto found = context->graphs.find(key);
        if (found != context->graphs.end()) {
            cudaGraphExecDestroy(found->second);
            found->second = exec;
        } else {
            try {
                context->graphs.emplace(key, exec);
            } catch (...) {
                cudaGraphExecDestroy(exec);
                throw;
            }
        }
        return K2_OK;
    });
}

int32_t k2_graph_launch(k2_context* context, k2_stream* stream, uint64_t key, int32_t* found)
{
    return on_stream(__func__, context, stream, [&](const char* f, cudaStream_t s) -> int32_t {
        K2_CHECK(found != nullptr, "%s: found is NULL", f);
        auto graph = context->graphs.find(key);
        *found = graph != context->graphs.end() ? 1 : 0;
        return *found ? cuda(cudaGraphLaunch(graph->second, s), "k2_graph_launch: cudaGraphLaunch") : K2_OK;
    });
}

int32_t k2_graph_cache_clear(k2_context* context)
{
    return on_stream(__func__, context, nullptr, [&](const char* f, cudaStream_t s) -> int32_t {
        K2_TRY(cuda(cudaStreamSynchronize(s), f));   // a queued replay may still be running
        for (auto& graph : context->graphs) cudaGraphExecDestroy(graph.second);
        context->graphs.clear();
        return K2_OK;
    });
}

int32_t k2_memory_alloc(k2_context* context, size_t bytes, void** pointer)
{
    return guarded("k2_memory_alloc", [&]() -> int32_t {
        K2_CHECK(pointer != nullptr, "k2_memory_alloc: pointer is NULL");
        *pointer = nullptr;
        cudaStream_t ignored;
        K2_TRY(enter("k2_memory_alloc", context, nullptr, &ignored));
        if (bytes == 0) return K2_OK;
        void* p = nullptr;
        cudaError_t error = cudaMalloc(&p, bytes);
        if (error != cudaSuccess) return k2::cuda_fail(error, "k2_memory_alloc: cudaMalloc");
        *pointer = p;
        return K2_OK;
    });
}

int32_t k2_memory_free(k2_context* context, void* pointer)
{
    return guarded("k2_memory_free", [&]() -> int32_t {
        cudaStream_t ignored;
        K2_TRY(enter("k2_memory_free", context, nullptr, &ignored));
        return pointer == nullptr ? K2_OK : cuda(cudaFree(pointer), "k2_memory_free: cudaFree");
    });
}

int32_t k2_memory_upload(k2_context* context, k2_stream* stream, void* dst, const void* src, size_t bytes)
{
    return copy_async("k2_memory_upload", context, stream, dst, src, bytes, cudaMemcpyHostToDevice);
}

int32_t k2_memory_download(k2_context* context, k2_stream* stream, void* dst, const void* src, size_t bytes)
{
    return copy_async("k2_memory_download", context, stream, dst, src, bytes, cudaMemcpyDeviceToHost);
}

int32_t k2_memory_copy(k2_context* context, k2_stream* stream, void* dst, const void* src, size_t bytes)
{
    return copy_async("k2_memory_copy", context, stream, dst, src, bytes, cudaMemcpyDeviceToDevice);
}

int32_t k2_memory_clear_2d(k2_context* context, k2_stream* stream, void* dst, size_t pitch_bytes, size_t width_bytes,
                           int32_t rows)
{
    return on_stream(__func__, context, stream, [&](const char* f, cudaStream_t s) -> int32_t {
        K2_CHECK(rows >= 0, "k2_memory_clear_2d: %d rows", rows);
        if (rows == 0 || width_bytes == 0) return K2_OK;
        K2_CHECK(dst != nullptr && pitch_bytes >= width_bytes, "k2_memory_clear_2d: dst %p, pitch %zu, width %zu", dst,
                 pitch_bytes, width_bytes);
        return cuda(cudaMemset2DAsync(dst, pitch_bytes, 0, width_bytes, rows, s),
                    "k2_memory_clear_2d: cudaMemset2DAsync");
    });
}

int32_t k2_gemm(k2_context* context, k2_stream* stream, const k2_matrix* w, const float* x, int64_t x_stride, float* y,
                int64_t y_stride, int32_t tokens)
{
    return on_stream(__func__, context, stream, [&](const char* f, cudaStream_t s) -> int32_t {
        return gemm(f, s, context, w, x, x_stride, y, y_stride, tokens);
    });
}

int32_t k2_embed(k2_context* context, k2_stream* stream, const k2_matrix* table, const int32_t* tokens, int32_t count,
                 float* y, int64_t y_stride)
{
    return on_stream(__func__, context, stream, [&](const char* f, cudaStream_t s) -> int32_t {
        k2::MatrixView view;
        K2_TRY(check_matrix(f, "table", table, &view));
        if (view.format != K2_FORMAT_BF16)
            return fail(K2_ERR_UNSUPPORTED, "k2_embed: the table must be bf16 (format %d given)", view.format);
        K2_CHECK(count >= 0 && (count == 0 || tokens != nullptr), "k2_embed: %d tokens at %p", count,
                 static_cast<const void*>(tokens));
        K2_TRY(check_rows(f, "y", y, y_stride, count, view.cols));
        return k2::launch_embed(view, tokens, count, y, y_stride, s);
    });
}

int32_t k2_rms_norm(k2_context* context, k2_stream* stream, float* x, int64_t x_stride, const float* residual,
                    int64_t residual_stride, const float* weight, float eps, int32_t rows, int32_t cols, float* y,
                    int64_t y_stride)
{
    return on_stream(__func__, context, stream, [&](const char* f, cudaStream_t s) -> int32_t {
        K2_TRY(check_rows(f, "x", x, x_stride, rows, cols));
        K2_TRY(check_rows(f, "y", y, y_stride, rows, cols));
        if (residual != nullptr) K2_TRY(check_rows(f, "residual", residual, residual_stride, rows, cols));
        K2_CHECK(cols > 0 && (rows == 0 || weight != nullptr), "k2_rms_norm: %d columns, weight %p", cols,
                 static_cast<const void*>(weight));
        K2_CHECK(eps >= 0.0f, "k2_rms_norm: eps %g is negative", eps);
        return k2::launch_rms_norm(x, x_stride, residual, residual_stride, weight, eps, rows, cols, y, y_stride, s);
    });
}

int32_t k2_add(k2_context* context, k2_stream* stream, float* acc, int64_t acc_stride, const float* delta,
               int64_t delta_stride, int32_t rows, int32_t cols)
{
    return on_stream(__func__, context, stream, [&](const char* f, cudaStream_t s) -> int32_t {
        K2_TRY(check_rows(f, "acc", acc, acc_stride, rows, cols));
        K2_TRY(check_rows(f, "delta", delta, delta_stride, rows, cols));
        return k2::launch_add(acc, acc_stride, delta, delta_stride, rows, cols, s);
    });
}

int32_t k2_silu_mul(k2_context* context, k2_stream* stream, const float* gate, int64_t gate_stride, const float* up,
                    int64_t up_stride, float* y, int64_t y_stride, int32_t rows, int32_t cols)
{
    return on_stream(__func__, context, stream, [&](const char* f, cudaStream_t s) -> int32_t {
        K2_TRY(check_rows(f, "gate", gate, gate_stride, rows, cols));
        K2_TRY(check_rows(f, "up", up, up_stride, rows, cols));
        K2_TRY(check_rows(f, "y", y, y_stride, rows, cols));
        return k2::launch_silu_mul(gate, gate_stride, up, up_stride, y, y_stride, rows, cols, s);
    });
}

int32_t k2_gather_rows(k2_context* context, k2_stream* stream, const float* src, int64_t src_stride, int32_t src_rows,
                       const int32_t* rows, int32_t count, int32_t cols, float* dst, int64_t dst_stride)
{
    return on_stream(__func__, context, stream, [&](const char* f, cudaStream_t s) -> int32_t {
        K2_TRY(check_rows(f, "src", src, src_stride, src_rows, cols));
        K2_TRY(check_rows(f, "dst", dst, dst_stride, count, cols));
        K2_CHECK(count == 0 || rows != nullptr, "k2_gather_rows: rows is NULL");
        return k2::launch_gather_rows(src, src_stride, src_rows, rows, count, cols, dst, dst_stride, s);
    });
}

int32_t k2_rope(k2_context* context, k2_stream* stream, float* x, int64_t x_stride, int32_t rows, int32_t heads,
                int32_t head_stride, int32_t offset, const double* inv_freq, int32_t pairs, float cos_sin_scale,
                const int32_t* positions)
{
    return on_stream(__func__, context, stream, [&](const char* f, cudaStream_t s) -> int32_t {
        K2_CHECK(heads >= 0 && pairs >= 0 && offset >= 0 && head_stride >= 0,
                 "k2_rope: %d heads of stride %d, offset %d, %d pairs", heads, head_stride, offset, pairs);
        const int64_t width = heads == 0 ? 0 : static_cast<int64_t>(heads - 1) * head_stride + offset + 2 * pairs;
        K2_TRY(check_rows(f, "x", x, x_stride, rows, width));
        K2_CHECK(rows == 0 || pairs == 0 || (inv_freq != nullptr && positions != nullptr),
                 "k2_rope: inv_freq or positions is NULL");
        return k2::launch_rope(x, x_stride, rows, heads, head_stride, offset, inv_freq, pairs, cos_sin_scale, positions,
                               s);
    });
}

int32_t k2_attention_prefill(k2_context* context, k2_stream* stream, const k2_attention_shape* shape, const float* q,
                             int64_t q_stride, const float* kv, int64_t kv_stride, const float* kpe, int64_t kpe_stride,
                             const int32_t* positions, int32_t tokens, int32_t keys, float* out, int64_t out_stride)
{
    return on_stream(__func__, context, stream, [&](const char* f, cudaStream_t s) -> int32_t {
        K2_TRY(check_shape(f, shape));
        const int32_t h = shape->heads;
        K2_TRY(check_rows(f, "q", q, q_stride, tokens, static_cast<int64_t>(h) * (shape->nope_dim + shape->rope_dim)));
        K2_TRY(
            check_rows(f, "kv", kv, kv_stride, keys, static_cast<int64_t>(h) * (shape->nope_dim + shape->value_dim)));
        K2_TRY(check_rows(f, "kpe", kpe, kpe_stride, keys, shape->rope_dim));
        K2_TRY(check_rows(f, "out", out, out_stride, tokens, static_cast<int64_t>(h) * shape->value_dim));
        K2_CHECK(tokens == 0 || positions != nullptr, "k2_attention_prefill: positions is NULL");
        return k2::launch_attention_prefill(
            k2::PrefillArgs{h, shape->nope_dim, shape->rope_dim, shape->value_dim, shape->softmax_scale, q, q_stride,
                            kv, kv_stride, kpe, kpe_stride, positions, tokens, keys, out, out_stride},
            s);
    });
}

int32_t k2_kv_append(k2_context* context, k2_stream* stream, const k2_kv_cache* cache, int32_t layer,
                     const float* latent, int64_t latent_stride, const float* kpe, int64_t kpe_stride,
                     const int32_t* slots, int32_t tokens)
{
    return on_stream(__func__, context, stream, [&](const char* f, cudaStream_t s) -> int32_t {
        k2::KvCacheView view;
        K2_TRY(check_cache(f, cache, &view));
        K2_CHECK(layer >= 0 && layer < view.layers, "k2_kv_append: layer %d of %d", layer, view.layers);
        K2_TRY(check_rows(f, "latent", latent, latent_stride, tokens, view.latent_dim));
        K2_TRY(check_rows(f, "kpe", kpe, kpe_stride, tokens, view.rope_dim));
        K2_CHECK(tokens == 0 || slots != nullptr, "k2_kv_append: slots is NULL");
        return k2::launch_kv_append(view, layer, latent, latent_stride, kpe, kpe_stride, slots, tokens, s);
    });
}

int32_t k2_mla_absorb_query(k2_context* context, k2_stream* stream, const k2_attention_shape* shape,
                            const k2_matrix* kv_b, const float* q, int64_t q_stride, int32_t tokens, float* q_latent,
                            int64_t q_latent_stride)
{
    return on_stream(__func__, context, stream, [&](const char* f, cudaStream_t s) -> int32_t {
        K2_TRY(check_shape(f, shape));
        k2::MatrixView w;
        K2_TRY(check_kv_b(f, shape, kv_b, &w));
        const int32_t h = shape->heads;
        K2_TRY(check_rows(f, "q", q, q_stride, tokens, static_cast<int64_t>(h) * (shape->nope_dim + shape->rope_dim)));
        K2_TRY(
            check_rows(f, "q_latent", q_latent, q_latent_stride, tokens, static_cast<int64_t>(h) * shape->latent_dim));
        return k2::launch_absorb_query(w, h, shape->nope_dim, shape->rope_dim, shape->value_dim, q, q_stride, tokens,
                                       q_latent, q_latent_stride, s);
    });
}

int32_t k2_mla_decode_workspace_size(const k2_attention_shape* shape, int32_t tokens, int32_t max_key_count,
                                     size_t* bytes)
{
    return guarded("k2_mla_decode_workspace_size", [&]() -> int32_t {
        const char* f = "k2_mla_decode_workspace_size";
        K2_CHECK(bytes != nullptr, "%s: bytes is NULL", f);
        *bytes = 0;
        K2_TRY(check_shape(f, shape));
        K2_CHECK(tokens >= 0 && max_key_count >= 0, "%s: %d tokens, max key count %d", f, tokens, max_key_count);
        *bytes = k2::decode_workspace_bytes(shape->heads, shape->latent_dim, tokens, max_key_count);
        return K2_OK;
    });
}

int32_t k2_mla_decode(k2_context* context, k2_stream* stream, const k2_attention_shape* shape, const k2_kv_cache* cache,
                      int32_t layer, const k2_paged_batch* batch, const float* q_latent, int64_t q_latent_stride,
                      const float* q, int64_t q_stride, float* o_latent, int64_t o_latent_stride, void* workspace,
                      size_t workspace_bytes)
{
    return on_stream(__func__, context, stream, [&](const char* f, cudaStream_t s) -> int32_t {
        K2_TRY(check_shape(f, shape));
        k2::KvCacheView view;
        K2_TRY(check_cache(f, cache, &view));
        K2_CHECK(layer >= 0 && layer < view.layers, "k2_mla_decode: layer %d of %d", layer, view.layers);
        K2_CHECK(view.latent_dim == shape->latent_dim && view.rope_dim == shape->rope_dim,
                 "k2_mla_decode: cache entries %d + %d, shape %d + %d", view.latent_dim, view.rope_dim,
                 shape->latent_dim, shape->rope_dim);
        K2_CHECK(batch != nullptr && batch->struct_size == sizeof(k2_paged_batch),
                 "k2_mla_decode: batch is NULL or its struct_size is not %zu", sizeof(k2_paged_batch));
        const int32_t t = batch->tokens;
        K2_CHECK(t >= 0 && batch->sequences >= 0 && batch->block_table_stride > 0 && batch->max_key_count >= 0,
                 "k2_mla_decode: batch of %d tokens, %d sequences, table stride %d, max key count %d", t,
                 batch->sequences, batch->block_table_stride, batch->max_key_count);
        K2_CHECK(t == 0
                     || (batch->token_sequence != nullptr && batch->key_counts != nullptr
                         && (batch->sequences == 0 || batch->block_tables != nullptr)),
                 "k2_mla_decode: a batch array is NULL");
        const int32_t h = shape->heads;
        K2_TRY(check_rows(f, "q_latent", q_latent, q_latent_stride, t, static_cast<int64_t>(h) * shape->latent_dim));
        K2_TRY(check_rows(f, "q", q, q_stride, t, static_cast<int64_t>(h) * (shape->nope_dim + shape->rope_dim)));
        K2_TRY(check_rows(f, "o_latent", o_latent, o_latent_stride, t, static_cast<int64_t>(h) * shape->latent_dim));
        k2::DecodeArgs a{view,
                         layer,
                         h,
                         shape->nope_dim,
                         shape->rope_dim,
                         shape->softmax_scale,
                         q_latent,
                         q_latent_stride,
                         q,
                         q_stride,
                         batch->token_sequence,
                         batch->key_counts,
                         batch->block_tables,
                         batch->sequences,
                         batch->block_table_stride,
                         batch->max_key_count,
                         t,
                         o_latent,
                         o_latent_stride};
        return k2::launch_mla_decode(a, static_cast<float*>(workspace), workspace_bytes, s);
    });
}

int32_t k2_mla_expand_values(k2_context* context, k2_stream* stream, const k2_attention_shape* shape,
                             const k2_matrix* kv_b, const float* o_latent, int64_t o_latent_stride, int32_t tokens,
                             float* out, int64_t out_stride)
{
    return on_stream(__func__, context, stream, [&](const char* f, cudaStream_t s) -> int32_t {
        K2_TRY(check_shape(f, shape));
        k2::MatrixView w;
        K2_TRY(check_kv_b(f, shape, kv_b, &w));
        const int32_t h = shape->heads;
        K2_TRY(
            check_rows(f, "o_latent", o_latent, o_latent_stride, tokens, static_cast<int64_t>(h) * shape->latent_dim));
        K2_TRY(check_rows(f, "out", out, out_stride, tokens, static_cast<int64_t>(h) * shape->value_dim));
        return k2::launch_gemv(
            k2::GemvArgs{w, shape->nope_dim, shape->nope_dim + shape->value_dim, shape->value_dim, w.cols, h, o_latent,
                         o_latent_stride, shape->latent_dim, out, out_stride, shape->value_dim, tokens},
            s);
    });
}

int32_t k2_router_default_params(k2_router_params* params)
{
    return guarded("k2_router_default_params", [&]() -> int32_t {
        K2_CHECK(params != nullptr, "k2_router_default_params: params is NULL");
        *params = k2_router_params{sizeof(k2_router_params), 384, 8, 1, 1, 1, 2.827f};
        return K2_OK;
    });
}

int32_t k2_moe_route(k2_context* context, k2_stream* stream, const k2_router_params* params, const float* logits,
                     int64_t logits_stride, const float* bias, int32_t tokens, int32_t* ids, float* weights)
{
    return on_stream(__func__, context, stream, [&](const char* f, cudaStream_t s) -> int32_t {
        K2_TRY(check_router(f, params));
        K2_TRY(check_rows(f, "logits", logits, logits_stride, tokens, params->experts));
        K2_CHECK(tokens == 0 || (bias != nullptr && ids != nullptr && weights != nullptr),
                 "k2_moe_route: bias, ids or weights is NULL");
        return k2::launch_route(
            k2::RouteArgs{params->experts, params->top_k, params->groups, params->topk_groups, params->normalize,
                          params->scaling_factor, logits, logits_stride, bias, tokens, ids, weights},
            s);
    });
}

int32_t k2_moe_default_params(k2_moe_params* params)
{
    return guarded("k2_moe_default_params", [&]() -> int32_t {
        K2_CHECK(params != nullptr, "k2_moe_default_params: params is NULL");
        *params = k2_moe_params{sizeof(k2_moe_params), 384, 8, 7168, 2048, K2_FORMAT_INT4, 32};
        return K2_OK;
    });
}

int32_t k2_moe_workspace_size(const k2_moe_params* params, int32_t tokens, size_t* bytes)
{
    return guarded("k2_moe_workspace_size", [&]() -> int32_t {
        K2_CHECK(bytes != nullptr, "k2_moe_workspace_size: bytes is NULL");
        *bytes = 0;
        K2_TRY(check_moe("k2_moe_workspace_size", params));
        K2_CHECK(tokens >= 0, "k2_moe_workspace_size: %d tokens", tokens);
        *bytes = k2::moe_workspace_bytes(params->experts, params->top_k, params->hidden, params->inner, tokens);
        return K2_OK;
    });
}

int32_t k2_moe_experts(k2_context* context, k2_stream* stream, const k2_moe_params* params,
                       const k2_expert_weights* experts, const float* x, int64_t x_stride, int32_t tokens,
                       const int32_t* ids, const float* weights, float* acc, int64_t acc_stride, void* workspace,
                       size_t workspace_bytes)
{
    return on_stream(__func__, context, stream, [&](const char* f, cudaStream_t s) -> int32_t {
        K2_TRY(check_moe(f, params));
        K2_TRY(check_rows(f, "x", x, x_stride, tokens, params->hidden));
        K2_TRY(check_rows(f, "acc", acc, acc_stride, tokens, params->hidden));
        K2_CHECK(tokens == 0 || (experts != nullptr && ids != nullptr && weights != nullptr),
                 "k2_moe_experts: experts, ids or weights is NULL");
        return k2::launch_moe(
            k2::MoeArgs{params->experts, params->top_k, params->hidden, params->inner, params->format,
                        params->group_size, experts, x, x_stride, tokens, ids, weights, acc, acc_stride},
            workspace, workspace_bytes, s);
    });
}

int32_t k2_argmax(k2_context* context, k2_stream* stream, const float* logits, int64_t logits_stride, int32_t rows,
                  int32_t cols, int32_t* ids)
{
    return on_stream(__func__, context, stream, [&](const char* f, cudaStream_t s) -> int32_t {
        K2_CHECK(cols > 0, "k2_argmax: %d columns", cols);
        K2_TRY(check_rows(f, "logits", logits, logits_stride, rows, cols));
        K2_CHECK(rows == 0 || ids != nullptr, "k2_argmax: ids is NULL");
        return k2::launch_argmax(logits, logits_stride, rows, cols, ids, s);
    });
}

int32_t k2_sample_top_p(k2_context* context, k2_stream* stream, const float* logits, int64_t logits_stride,
                        int32_t rows, int32_t cols, float temperature, float top_p, const float* uniforms, int32_t* ids)
{
    return on_stream(__func__, context, stream, [&](const char* f, cudaStream_t s) -> int32_t {
        K2_CHECK(cols > 0, "k2_sample_top_p: %d columns", cols);
        K2_TRY(check_rows(f, "logits", logits, logits_stride, rows, cols));
        K2_CHECK(temperature > 0.0f && top_p > 0.0f && top_p <= 1.0f, "k2_sample_top_p: temperature %g, top_p %g",
                 temperature, top_p);
        K2_CHECK(rows == 0 || (uniforms != nullptr && ids != nullptr), "k2_sample_top_p: uniforms or ids is NULL");
        return k2::launch_sample_top_p(logits, logits_stride, rows, cols, temperature, top_p, uniforms, ids, s);
    });
}

}  // extern "C"

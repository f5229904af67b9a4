// The paged latent cache on the GPU: one zeroed device allocation laid out [layer][slot][entry] exactly like the
// CPU cache (float32 or bf16), described to the kernels by a k2_kv_cache.
using K2Native.Backends.Cuda.Native.Generated;

namespace K2Native.Backends.Cuda;

internal sealed unsafe class CudaKvCache : KvCacheStorage
{
    private readonly DeviceBuffer _buffer;

    public CudaKvCache(CudaContext context, KvCacheLayout layout) : base(layout)
    {
        if (layout.Slots > int.MaxValue)
            throw new ArgumentException($"CUDA backend: a cache of {layout.Slots} slots exceeds 2^31 slots");
        _buffer = context.Allocate(layout.TotalBytes);
        k2_kv_cache c = default;
        c.struct_size = (uint)sizeof(k2_kv_cache);
        c.dtype = layout.DType == KvCacheDType.F32 ? (int)k2_kv_dtype.K2_KV_F32 : (int)k2_kv_dtype.K2_KV_BF16;
        c.layers = layout.Layers;
        c.blocks = layout.Blocks;
        c.block_size = layout.BlockSize;
        c.latent_dim = layout.LatentDim;
        c.rope_dim = layout.RopeDim;
        c.data = _buffer.Pointer;
        Descriptor = c;
    }

    public k2_kv_cache Descriptor { get; }

    public override void Dispose() => _buffer.Dispose();
}

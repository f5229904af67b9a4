// The CPU backend's paged latent cache: one aligned native allocation laid out [layer][slot][entry], entries
// float32 or bf16. Writing rounds bf16 to nearest even once; readers widen on the fly.
using System.Runtime.InteropServices;
using K2Native.Numerics;

namespace K2Native.Backends.Cpu;

internal sealed unsafe class CpuKvCache : KvCacheStorage
{
    private byte* _data;

    public CpuKvCache(KvCacheLayout layout) : base(layout)
    {
        ElementBytes = layout.DType == KvCacheDType.F32 ? 4 : 2;
        LayerStride = layout.Slots * layout.EntryWidth;
        nuint bytes = (nuint)(layout.Layers * LayerStride * ElementBytes);
        _data = (byte*)NativeMemory.AlignedAlloc(bytes, 64);
        NativeMemory.Clear(_data, bytes);
    }

    ~CpuKvCache() => Free();

    public int ElementBytes { get; }

    /// <summary>Elements between the same slot of consecutive layers.</summary>
    public long LayerStride { get; }

    public bool IsBf16 => Layout.DType == KvCacheDType.Bf16;

    /// <summary>Address of the entry in <paramref name="slot"/> of <paramref name="layer"/>.</summary>
    public byte* Entry(int layer, long slot)
    {
        ObjectDisposedException.ThrowIf(_data == null, this);
        return _data + (layer * LayerStride + slot * Layout.EntryWidth) * ElementBytes;
    }

    /// <summary>Stores latent and rope rows of each token into its slot.</summary>
    public void Write(int layer, StridedView latent, StridedView kpe, ReadOnlySpan<int> slots)
    {
        var l = Layout;
        for (int t = 0; t < slots.Length; t++)
        {
            byte* entry = Entry(layer, slots[t]);
            Store(latent.Row(t), entry, 0, l.LatentDim);
            Store(kpe.Row(t), entry, l.LatentDim, l.RopeDim);
        }
    }

    public override void Dispose()
    {
        Free();
        GC.SuppressFinalize(this);
    }

    private void Store(float* source, byte* entry, int offset, int count)
    {
        if (IsBf16)
        {
            ushort* dst = (ushort*)entry + offset;
            for (int i = 0; i < count; i++) dst[i] = Bf16.FromFloat(source[i]);
        }
        else
        {
            new ReadOnlySpan<float>(source, count).CopyTo(new Span<float>((float*)entry + offset, count));
        }
    }

    private void Free()
    {
        if (_data == null) return;
        NativeMemory.AlignedFree(_data);
        _data = null;
    }
}

// Host-side logic of the CUDA backend's device memory, with a fake device: a scratch buffer that grows retires the
// old buffer (kernels queued before may still read it) instead of freeing it, and cached index uploads copy only
// when the values change. Plus the decode workspace bound, asked of the built library (no GPU needed).
using K2Native.Backends.Cuda;
using K2Native.Backends.Cuda.Native;
using K2Native.Backends.Cuda.Native.Generated;

namespace K2Native.Tests.Backends.Cuda;

public sealed unsafe class DeviceMemoryTests
{
    private sealed class FakeMemory : IDeviceMemory
    {
        public List<string> Log { get; } = [];
        private long _next = 4096;

        public DeviceBuffer Allocate(long bytes)
        {
            var buffer = new DeviceBuffer(b => Log.Add($"free {(long)b.Pointer}"), (void*)_next, bytes);
            Log.Add($"alloc {_next} {bytes}");
            _next += 4096 + bytes;
            return buffer;
        }

        public void Retire(DeviceBuffer buffer) => Log.Add($"retire {(long)buffer.Pointer}");

        public void Upload<T>(void* destination, ReadOnlySpan<T> values) where T : unmanaged => Log.Add(
            $"upload {(long)destination} {values.Length}");
    }

    [Fact]
    public void A_growing_scratch_buffer_retires_the_old_one_and_never_frees_it_under_queued_work()
    {
        var memory = new FakeMemory();
        using (var scratch = new DeviceScratch(memory))
        {
            long first = (long)scratch.Get(100);
            Assert.Equal(first, (long)scratch.Get(100));
            long second = (long)scratch.Get(150);
            Assert.NotEqual(first, second);
            Assert.Equal(200, scratch.Bytes);   // doubled, so repeated small growth stays rare
            Assert.Equal(["alloc 4096 100", $"retire {first}", $"alloc {second} 200"], memory.Log);
            Assert.DoesNotContain(memory.Log, l => l.StartsWith("free"));
        }
        Assert.Contains(memory.Log, l => l.StartsWith("free"));   // the live buffer is freed on Dispose
    }

    [Fact]
    public void A_cached_upload_copies_only_when_the_values_change()
    {
        var memory = new FakeMemory();
        using var positions = new CachedUpload(memory);
        int[] step1 = [5, 9, 17];
        long p = (long)positions.Get(step1);
        for (int layer = 0; layer < 61; layer++) Assert.Equal(p, (long)positions.Get(step1.AsSpan()));
        Assert.Equal(1, positions.Uploads);
        positions.Get([6, 10, 18]);
        Assert.Equal(2, positions.Uploads);
        positions.Get([6, 10]);   // a shorter batch is a change too
        Assert.Equal(3, positions.Uploads);
        positions.Get([6, 10]);
        Assert.Equal(3, positions.Uploads);
        Assert.Equal(3, memory.Log.Count(l => l.StartsWith("upload")));
    }

    [LibraryFact]
    public void The_decode_workspace_stays_bounded_for_long_contexts_and_many_tokens()
    {
        k2_attention_shape s = default;
        s.struct_size = (uint)sizeof(k2_attention_shape);
        (s.heads, s.nope_dim, s.rope_dim, s.value_dim, s.latent_dim, s.softmax_scale) = (64, 128, 64, 128, 512, 0.1f);
        const long oneToken16K = 4L * 64 * 64 * (512 + 2);   // 64 splits x 64 heads x (latent + 2) floats
        foreach (var (tokens, keys) in new[] { (256, 16384), (4096, 16384), (1, 16384), (65535, 131072) })
        {
            nuint bytes;
            K2Library.ThrowIfFailed(
                K2Api.k2_mla_decode_workspace_size(&s, tokens, keys, &bytes), "k2_mla_decode_workspace_size");
            Assert.True((long)bytes <= (256L << 20) + oneToken16K, $"{tokens} tokens over {keys} keys: {bytes} bytes");
            Assert.True(
                (long)bytes >= oneToken16K,
                $"{tokens} tokens over {keys} keys: {bytes} bytes hold less than one token's partials");
            Assert.Equal(0, (long)bytes % oneToken16K);
        }
        nuint small;
        K2Library.ThrowIfFailed(K2Api.k2_mla_decode_workspace_size(&s, 3, 300, &small), "k2_mla_decode_workspace_size");
        Assert.Equal(3L * 4 * 2 * 64 * 514, (long)small);   // 300 keys: 2 splits; three tokens fit one launch
    }
}

namespace K2Native.Backends.Cuda.Native.Generated;

internal unsafe partial struct k2_device_info
{
    [NativeTypeName("uint32_t")]
    public uint struct_size;

    [NativeTypeName("int32_t")]
    public int device;

    [NativeTypeName("char[256]")]
    public fixed sbyte name[256];

    [NativeTypeName("int32_t")]
    public int multiprocessors;

    [NativeTypeName("int32_t")]
    public int compute_major;

    [NativeTypeName("int32_t")]
    public int compute_minor;

    [NativeTypeName("int32_t")]
    public int driver_version;

    [NativeTypeName("int32_t")]
    public int runtime_version;

    [NativeTypeName("int64_t")]
    public long total_memory_bytes;

    [NativeTypeName("int64_t")]
    public long l2_cache_bytes;

    [NativeTypeName("int64_t")]
    public long shared_memory_per_block;
}

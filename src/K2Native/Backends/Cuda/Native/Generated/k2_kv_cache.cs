namespace K2Native.Backends.Cuda.Native.Generated;

internal unsafe partial struct k2_kv_cache
{
    [NativeTypeName("uint32_t")]
    public uint struct_size;

    [NativeTypeName("int32_t")]
    public int dtype;

    [NativeTypeName("int32_t")]
    public int layers;

    [NativeTypeName("int32_t")]
    public int blocks;

    [NativeTypeName("int32_t")]
    public int block_size;

    [NativeTypeName("int32_t")]
    public int latent_dim;

    [NativeTypeName("int32_t")]
    public int rope_dim;

    public void* data;
}

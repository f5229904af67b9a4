namespace K2Native.Backends.Cuda.Native.Generated;

internal partial struct k2_router_params
{
    [NativeTypeName("uint32_t")]
    public uint struct_size;

    [NativeTypeName("int32_t")]
    public int experts;

    [NativeTypeName("int32_t")]
    public int top_k;

    [NativeTypeName("int32_t")]
    public int groups;

    [NativeTypeName("int32_t")]
    public int topk_groups;

    [NativeTypeName("int32_t")]
    public int normalize;

    public float scaling_factor;
}

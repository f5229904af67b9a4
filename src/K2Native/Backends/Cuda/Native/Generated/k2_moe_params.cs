namespace K2Native.Backends.Cuda.Native.Generated;

internal partial struct k2_moe_params
{
    [NativeTypeName("uint32_t")]
    public uint struct_size;

    [NativeTypeName("int32_t")]
    public int experts;

    [NativeTypeName("int32_t")]
    public int top_k;

    [NativeTypeName("int32_t")]
    public int hidden;

    [NativeTypeName("int32_t")]
    public int inner;

    [NativeTypeName("int32_t")]
    public int format;

    [NativeTypeName("int32_t")]
    public int group_size;
}

namespace K2Native.Backends.Cuda.Native.Generated;

internal partial struct k2_context_params
{
    [NativeTypeName("uint32_t")]
    public uint struct_size;

    [NativeTypeName("int32_t")]
    public int device;

    [NativeTypeName("int32_t")]
    public int tensor_core_min_tokens;
}

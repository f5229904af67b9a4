namespace K2Native.Backends.Cuda.Native.Generated;

internal unsafe partial struct k2_expert_weights
{
    [NativeTypeName("const void *")]
    public void* gate_data;

    [NativeTypeName("const void *")]
    public void* gate_scales;

    [NativeTypeName("const void *")]
    public void* up_data;

    [NativeTypeName("const void *")]
    public void* up_scales;

    [NativeTypeName("const void *")]
    public void* down_data;

    [NativeTypeName("const void *")]
    public void* down_scales;
}

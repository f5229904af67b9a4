namespace K2Native.Backends.Cuda.Native.Generated;

internal unsafe partial struct k2_matrix
{
    [NativeTypeName("uint32_t")]
    public uint struct_size;

    [NativeTypeName("int32_t")]
    public int format;

    [NativeTypeName("int32_t")]
    public int rows;

    [NativeTypeName("int32_t")]
    public int cols;

    [NativeTypeName("int32_t")]
    public int group_size;

    [NativeTypeName("const void *")]
    public void* data;

    [NativeTypeName("const void *")]
    public void* scales;
}

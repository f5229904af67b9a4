namespace K2Native.Backends.Cuda.Native.Generated;

internal partial struct k2_attention_shape
{
    [NativeTypeName("uint32_t")]
    public uint struct_size;

    [NativeTypeName("int32_t")]
    public int heads;

    [NativeTypeName("int32_t")]
    public int nope_dim;

    [NativeTypeName("int32_t")]
    public int rope_dim;

    [NativeTypeName("int32_t")]
    public int value_dim;

    [NativeTypeName("int32_t")]
    public int latent_dim;

    public float softmax_scale;
}

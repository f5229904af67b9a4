namespace K2Native.Backends.Cuda.Native.Generated;

internal unsafe partial struct k2_paged_batch
{
    [NativeTypeName("uint32_t")]
    public uint struct_size;

    [NativeTypeName("int32_t")]
    public int tokens;

    [NativeTypeName("int32_t")]
    public int sequences;

    [NativeTypeName("int32_t")]
    public int block_table_stride;

    [NativeTypeName("int32_t")]
    public int max_key_count;

    [NativeTypeName("const int32_t *")]
    public int* token_sequence;

    [NativeTypeName("const int32_t *")]
    public int* key_counts;

    [NativeTypeName("const int32_t *")]
    public int* block_tables;
}

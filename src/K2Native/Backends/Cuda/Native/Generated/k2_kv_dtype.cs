namespace K2Native.Backends.Cuda.Native.Generated;

[NativeTypeName("unsigned int")]
internal enum k2_kv_dtype : uint
{
    K2_KV_F32 = 0,
    K2_KV_BF16 = 1,
}

namespace K2Native.Backends.Cuda.Native.Generated;

[NativeTypeName("unsigned int")]
internal enum k2_format : uint
{
    K2_FORMAT_BF16 = 0,
    K2_FORMAT_INT4 = 1,
    K2_FORMAT_FP8 = 2,
}

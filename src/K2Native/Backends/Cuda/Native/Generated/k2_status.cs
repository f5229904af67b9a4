namespace K2Native.Backends.Cuda.Native.Generated;

[NativeTypeName("unsigned int")]
internal enum k2_status : uint
{
    K2_OK = 0,
    K2_ERR_INVALID_ARGUMENT = 1,
    K2_ERR_UNSUPPORTED = 2,
    K2_ERR_NO_DEVICE = 3,
    K2_ERR_DRIVER = 4,
    K2_ERR_OUT_OF_MEMORY = 5,
    K2_ERR_WORKSPACE = 6,
    K2_ERR_CUDA = 7,
    K2_ERR_INTERNAL = 8,
}

namespace K2Native.Backends.Cuda.Native.Generated;

internal partial struct k2_context
{
}

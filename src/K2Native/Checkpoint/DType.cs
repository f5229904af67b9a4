// Element types a safetensors file may hold, with their sizes and on-disk names.
namespace K2Native.Checkpoint;

/// <summary>Element type of a stored tensor, as named in a safetensors header.</summary>
public enum DType
{
    BF16,
    F16,
    F32,
    I32,
    I64,
    I8,
    U8,
    F8_E4M3,
}

/// <summary>Sizes and names of <see cref="DType"/> values.</summary>
public static class DTypes
{
    /// <summary>Bytes per element.</summary>
    public static int SizeOf(DType dtype) => dtype switch
    {
        DType.BF16 or DType.F16 => 2,
        DType.F32 or DType.I32 => 4,
        DType.I64 => 8,
        DType.I8 or DType.U8 or DType.F8_E4M3 => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unknown dtype"),
    };

    /// <summary>The name safetensors uses for the type (e.g. "BF16", "F8_E4M3").</summary>
    public static string Name(DType dtype) => dtype.ToString();

    /// <summary>Parses a safetensors dtype name; false for names this engine does not know.</summary>
    public static bool TryParse(string name, out DType dtype)
    {
        switch (name)
        {
            case "BF16": dtype = DType.BF16; return true;
            case "F16": dtype = DType.F16; return true;
            case "F32": dtype = DType.F32; return true;
            case "I32": dtype = DType.I32; return true;
            case "I64": dtype = DType.I64; return true;
            case "I8": dtype = DType.I8; return true;
            case "U8": dtype = DType.U8; return true;
            case "F8_E4M3": dtype = DType.F8_E4M3; return true;
            default: dtype = default; return false;
        }
    }
}

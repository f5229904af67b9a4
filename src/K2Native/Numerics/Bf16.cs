// bfloat16 <-> float32: bf16 is the upper half of an IEEE float32.
namespace K2Native.Numerics;

/// <summary>Scalar bfloat16 conversions.</summary>
internal static class Bf16
{
    /// <summary>Exact widening: the 16 bits become the float's upper half.</summary>
    public static float ToFloat(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);

    /// <summary>Round to nearest even; NaN stays NaN (quiet), infinities stay infinite.</summary>
    public static ushort FromFloat(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value)) return (ushort)((bits >> 16) | 0x0040);
        uint rounding = 0x7FFFu + ((bits >> 16) & 1u);
        return (ushort)((bits + rounding) >> 16);
    }
}

// float8 e4m3fn decoded straight from its definition (OCP FP8 spec: sign, 4-bit exponent with bias 7, 3-bit
// mantissa, subnormals at exponent 0, S.1111.111 = NaN, no infinities), in double, for test references only.
namespace K2Native.Tests.Support;

internal static class Fp8Reference
{
    public static double Value(byte code)
    {
        int sign = code >> 7, exponent = (code >> 3) & 0xF, mantissa = code & 7;
        if (exponent == 15 && mantissa == 7) return double.NaN;
        double magnitude = exponent == 0
            ? mantissa / 8.0 * Math.Pow(2, -6)
            : (1 + mantissa / 8.0) * Math.Pow(2, exponent - 7);
        return sign == 1 ? -magnitude : magnitude;
    }
}

// float8 e4m3fn (the FP8 of DeepSeek-V3 / Kimi K2 Instruct checkpoints): 1 sign bit, 4 exponent bits with
// bias 7, 3 mantissa bits, subnormals at exponent 0, no infinities, NaN at 0x7F and 0xFF, largest value 448.
namespace K2Native.Numerics;

/// <summary>Scalar float8 e4m3fn conversions.</summary>
internal static class Fp8E4M3
{
    /// <summary>The largest finite magnitude (code 0x7E).</summary>
    public const float Max = 448f;

    /// <summary>Every code's value, NaN for 0x7F and 0xFF.</summary>
    public static float[] Table { get; } = Enumerable.Range(0, 256).Select(c => ToFloat((byte)c)).ToArray();

    /// <summary>True for the two NaN codes.</summary>
    public static bool IsNaN(byte code) => (code & 0x7F) == 0x7F;

    /// <summary>Exact value of <paramref name="code"/>.</summary>
    public static float ToFloat(byte code)
    {
        if (IsNaN(code)) return float.NaN;
        int exponent = (code >> 3) & 0xF, mantissa = code & 7;
        float magnitude = exponent == 0 ? mantissa / 512f : (8 + mantissa) * MathF.ScaleB(1f, exponent - 10);
        return (code & 0x80) != 0 ? -magnitude : magnitude;
    }

    /// <summary>Round to nearest even, saturating at ±448 (as PyTorch's float8_e4m3fn cast of clamped values); NaN ->
    /// 0x7F.</summary>
    public static byte FromFloat(float value)
    {
        if (float.IsNaN(value)) return 0x7F;
        byte sign = value < 0 || float.IsNegative(value) ? (byte)0x80 : (byte)0;
        double a = Math.Abs((double)value);
        int code;
        if (a >= Max)
            code = 0x7E;
        else if (a < 1.0 / 64)
            code = (int)Math.Round(a * 512, MidpointRounding.ToEven);
        else
        {
            int e = Math.ILogB(a);
            int m = (int)Math.Round(Math.ScaleB(a, -e) * 8 - 8, MidpointRounding.ToEven);
            code = ((e + 7) << 3) + m;
        }
        return (byte)(sign | Math.Min(code, 0x7E));
    }
}

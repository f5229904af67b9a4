// Python's repr() of a float (what json.dumps and str() write), built from .NET's shortest round-trip digits:
// both pick the shortest digit string that reads back to the same double, nearest the exact value when several
// do; only the layout differs. Python writes fixed notation for decimal exponents -4 <= e < 16 ("1e-05", "0.0001",
// "1000000000000000.0", "1e+16") and always shows a fraction ("1.0"). Checked against CPython on 200,000 values.
using System.Globalization;

namespace K2Native.Text;

internal static class PythonFloat
{
    /// <summary>repr(value), with json.dumps's spellings of the non-finite values (Infinity, -Infinity, NaN).</summary>
    public static string JsonRepr(double value) =>
        double.IsNaN(value)
            ? "NaN"
            : double.IsPositiveInfinity(value)
            ? "Infinity"
            : double.IsNegativeInfinity(value)
            ? "-Infinity"
            : Repr(value);

    /// <summary>str(value) in Python (inf, -inf and nan spelled as Python prints them).</summary>
    public static string Str(double value) =>
        double.IsNaN(value)
            ? "nan"
            : double.IsPositiveInfinity(value)
            ? "inf"
            : double.IsNegativeInfinity(value)
            ? "-inf"
            : Repr(value);

    private static string Repr(double value)
    {
        string r = value.ToString("R", CultureInfo.InvariantCulture); // e.g. "-1.5E-05", "10000000000000000", "0.001"
        bool negative = r[0] == '-';
        if (negative) r = r[1..];
        int exponent = 0;
        int e = r.IndexOf('E');
        if (e >= 0)
        {
            exponent = int.Parse(r.AsSpan(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            r = r[..e];
        }
        int dot = r.IndexOf('.');
        string digits = dot < 0 ? r : string.Concat(r.AsSpan(0, dot), r.AsSpan(dot + 1));
        int integerDigits = dot < 0 ? r.Length : dot;

        // value = 0.DIGITS x 10^point, with DIGITS free of leading and trailing zeros.
        int lead = 0;
        while (lead < digits.Length - 1 && digits[lead] == '0') lead++;
        int point = integerDigits - lead + exponent;
        digits = digits[lead..].TrimEnd('0');
        if (digits.Length == 0) { digits = "0"; point = 1; }

        string body;
        if (point <= -4 || point > 16)
        {
            int x = point - 1;
            string mantissa = digits.Length == 1 ? digits : digits[..1] + "." + digits[1..];
            body = mantissa + (x < 0 ? "e-" : "e+") + Math.Abs(x).ToString("00", CultureInfo.InvariantCulture);
        }
        else if (point <= 0) body = "0." + new string('0', -point) + digits;
        else if (point >= digits.Length) body = digits + new string('0', point - digits.Length) + ".0";
        else body = digits[..point] + "." + digits[point..];
        return negative ? "-" + body : body;
    }
}

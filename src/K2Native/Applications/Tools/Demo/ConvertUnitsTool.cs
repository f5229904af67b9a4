// The demo `convert_units`: value from one unit to another of the same kind. Linear kinds compute
// value * factor(from) / factor(to) in that order; temperature goes through Celsius, each formula left to right,
// exactly as docs/demo-model.md writes them, so the double matches the Python generator's bit for bit.
using System.Text.Json.Nodes;

namespace K2Native.Applications.Tools.Demo;

/// <summary>convert_units(value, from_unit, to_unit) -> "Format(converted) to_unit".</summary>
internal sealed class ConvertUnitsTool(JsonObject declaration, IReadOnlyDictionary<string, DemoUnit> units) : DemoTool(
    declaration)
{
    protected override string Run(JsonObject arguments)
    {
        double value = RequiredNumber(arguments, "value");
        var from = Unit(RequiredString(arguments, "from_unit"));
        var to = Unit(RequiredString(arguments, "to_unit"));
        if (from.Kind != to.Kind)
            throw new ArgumentException($"cannot convert {from.Kind} ({from.Name}) to {to.Kind} ({to.Name})");
        double converted = from.Factor is { } f && to.Factor is { } t
            ? value * f / t
            : FromCelsius(ToCelsius(value, from.Name), to.Name);
        if (double.IsNaN(converted)) throw new ArgumentException("the result is not a number");
        return ArithmeticExpression.Format(converted) + " " + to.Name;
    }

    private DemoUnit Unit(string name) => units.TryGetValue(name, out var unit) ? unit
        : throw new ArgumentException($"unknown unit '{name}' (units: {string.Join(", ", units.Keys)})");

    private static double ToCelsius(double v, string unit) => unit switch
    {
        "F" => (v - 32) * 5 / 9,
        "K" => v - 273.15,
        _ => v,
    };

    private static double FromCelsius(double c, string unit) => unit switch
    {
        "F" => c * 9 / 5 + 32,
        "K" => c + 273.15,
        _ => c,
    };
}

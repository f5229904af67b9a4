// The `calculator` tool: evaluates an arithmetic expression (ArithmeticExpression) and returns the number.
using System.Text.Json.Nodes;

namespace K2Native.Applications.Tools;

/// <summary>calculator(expression) -> value.</summary>
internal sealed class CalculatorTool : BuiltinTool
{
    public override string Name => "calculator";

    public override string Description => "Evaluate an arithmetic expression (+ - * / % ^, parentheses, sqrt, abs, "
        + "round, min, max, pow, ln, log10, exp, sin, cos, tan, pi, e)";

    public override JsonObject Parameters() => OneString("expression", "The expression, e.g. (17 - 12) * 3.5");

    protected override string Run(JsonObject arguments) =>
        ArithmeticExpression.Format(ArithmeticExpression.Evaluate(RequiredString(arguments, "expression")));
}

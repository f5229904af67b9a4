// The demo `calculator`: ArithmeticExpression's value of "expression", written by ArithmeticExpression.Format.
using System.Text.Json.Nodes;

namespace K2Native.Applications.Tools.Demo;

/// <summary>calculator(expression) -> Format(value).</summary>
internal sealed class DemoCalculatorTool(JsonObject declaration) : DemoTool(declaration)
{
    protected override string Run(JsonObject arguments) =>
        ArithmeticExpression.Format(ArithmeticExpression.Evaluate(RequiredString(arguments, "expression")));
}

// The demo tools against docs/demo-model.md: each tool's results (values computed from the contract's formulas),
// temperature through Celsius, kind mismatches, unknown units and entities, Format's notation, bad arguments as
// "error: " texts, and declarations that are the file's own, byte for byte once rendered.
using System.Text.Json.Nodes;
using K2Native.Applications.Tools;
using K2Native.Applications.Tools.Demo;
using K2Native.Tests.Support;
using K2Native.Text;

namespace K2Native.Tests.Applications.Tools;

public sealed class DemoToolsTests
{
    private static readonly DemoToolSet Set = DemoTestData.Load();
    private static readonly Dictionary<string, BuiltinTool> Tools =
        Set.CreateTools(new DateOnly(2026, 11, 23)).ToDictionary(t => t.Name);

    private static string Call(string name, string arguments) => Tools[name].Invoke(arguments);

    [Theory]
    [InlineData("(17 - 12) * 3.5", "17.5")]
    [InlineData("1 / 3", "0.333333333333")]
    [InlineData("0.1 + 0.2", "0.3")]
    [InlineData("1 / 3000000", "3.33333333333E-07")]
    [InlineData("123456789 * 1000000000", "1.23456789E+17")]
    [InlineData("999999999999999", "999999999999999")]
    [InlineData("1000000000000000", "1E+15")]
    [InlineData("0 * -1", "0")]
    [InlineData("68170000 / 1000000", "68.17")]
    [InlineData("10 - 4 - 3", "3")]
    [InlineData("10 ** 400", "infinity")]
    public void CalculatorFormatsLikeTheContract(string expression, string expected) =>
        Assert.Equal(expected, Call("calculator", new JsonObject { ["expression"] = expression }.ToJsonString()));

    [Theory]
    [InlineData("{\"value\": 5, \"from_unit\": \"mi\", \"to_unit\": \"km\"}", "8.04672 km")]
    [InlineData("{\"value\": 17.5, \"from_unit\": \"kg\", \"to_unit\": \"lb\"}", "38.5808958824 lb")]
    [InlineData("{\"value\": 3, \"from_unit\": \"week\", \"to_unit\": \"h\"}", "504 h")]
    [InlineData("{\"value\": 2, \"from_unit\": \"gal\", \"to_unit\": \"cup\"}", "32 cup")]
    [InlineData("{\"value\": 1, \"from_unit\": \"mm\", \"to_unit\": \"mi\"}", "6.21371192237E-07 mi")]
    [InlineData("{\"value\": 98.6, \"from_unit\": \"F\", \"to_unit\": \"C\"}", "37 C")]
    [InlineData("{\"value\": 100, \"from_unit\": \"C\", \"to_unit\": \"F\"}", "212 F")]
    [InlineData("{\"value\": 0, \"from_unit\": \"K\", \"to_unit\": \"F\"}", "-459.67 F")]
    [InlineData("{\"value\": -40, \"from_unit\": \"F\", \"to_unit\": \"K\"}", "233.15 K")]
    [InlineData("{\"value\": 21.5, \"from_unit\": \"C\", \"to_unit\": \"C\"}", "21.5 C")]
    [InlineData("{\"value\": 1e400, \"from_unit\": \"m\", \"to_unit\": \"km\"}", "infinity km")]
    [InlineData("{\"value\": 5, \"from_unit\": \"mi\", \"to_unit\": \"km\", \"value\": 2}", "3.218688 km")]
    public void ConvertUnitsFollowsTheOperationOrder(string arguments, string expected) =>
        Assert.Equal(expected, Call("convert_units", arguments));

    [Theory]
    [InlineData("{\"value\": 5, \"from_unit\": \"km\", \"to_unit\": \"kg\"}",
        "error: cannot convert length (km) to mass (kg)")]
    [InlineData("{\"value\": 5, \"from_unit\": \"C\", \"to_unit\": \"s\"}",
        "error: cannot convert temperature (C) to time (s)")]
    [InlineData("{\"value\": 5, \"from_unit\": \"c\", \"to_unit\": \"F\"}", "error: unknown unit 'c' (units: m, km,")]
    [InlineData("{\"value\": 5, \"from_unit\": \"km\", \"to_unit\": \"parsec\"}", "error: unknown unit 'parsec'")]
    [InlineData("{\"value\": \"5\", \"from_unit\": \"km\", \"to_unit\": \"m\"}",
        "error: argument 'value' must be a number")]
    [InlineData("{\"value\": 5, \"to_unit\": \"m\"}", "error: argument 'from_unit' must be a string")]
    [InlineData("[5, \"km\", \"m\"]", "error: arguments are not a JSON object")]
    [InlineData("{\"value\": 5,", "error: arguments are not a JSON object")]
    public void ConvertUnitsReportsBadArguments(string arguments, string expectedStart) =>
        Assert.StartsWith(expectedStart, Call("convert_units", arguments), StringComparison.Ordinal);

    [Theory]
    [InlineData("{\"expression\": \"1 / 0\"}", "error: division by zero")]
    [InlineData("{\"expression\": \"2 +\"}", "error: expression ends too early")]
    [InlineData("{\"expression\": 7}", "error: argument 'expression' must be a string")]
    [InlineData("{}", "error: argument 'expression' must be a string")]
    public void CalculatorReportsBadArguments(string arguments, string expectedStart) =>
        Assert.StartsWith(expectedStart, Call("calculator", arguments), StringComparison.Ordinal);

    [Theory]
    [InlineData("{\"entity\": \"Japan\", \"attribute\": \"capital\"}", "Tokyo")]
    [InlineData("{\"entity\": \"  new zealand \", \"attribute\": \"capital\"}", "Wellington")]
    [InlineData("{\"entity\": \"GOLD\", \"attribute\": \"symbol\"}", "Au")]
    [InlineData("{\"entity\": \"Earth\", \"attribute\": \"distance_au\"}", "1")]
    [InlineData("{\"entity\": \"France\", \"attribute\": \"Capital\"}", "error: France has no attribute 'Capital'; its "
        + "attributes are capital, population, area_km2, currency, continent")]
    [InlineData("{\"entity\": \"Mars\", \"attribute\": \"kind\"}",
        "error: Mars has no attribute 'kind'; its attributes are moons, diameter_km, distance_au, orbital_period_days")]
    [InlineData("{\"entity\": \"Atlantis\", \"attribute\": \"capital\"}", "error: unknown entity 'Atlantis'")]
    [InlineData("{\"entity\": \"Spain\"}", "error: argument 'attribute' must be a string")]
    public void LookupMatchesEntitiesLooselyAndAttributesExactly(string arguments, string expected) =>
        Assert.Equal(expected, Call("lookup", arguments));

    [Theory]
    [InlineData("{}")]
    [InlineData("{\"timezone\": \"UTC\"}")]
    public void CurrentDateReturnsTheGivenDayAndIgnoresArguments(string arguments) =>
        Assert.Equal("2026-11-23 (Monday)", Call("current_date", arguments));

    [Fact]
    public void CurrentDateReadsTheLocalDateFromTheTimeProvider()
    {
        var time = new FixedTime(new DateTimeOffset(2027, 2, 28, 23, 30, 0, TimeSpan.FromHours(-5)));
        var tool = Set.CreateTools(time).Single(t => t.Name == "current_date");
        Assert.Equal("2027-02-28 (Sunday)", tool.Invoke("{}"));
    }

    [Fact]
    public void DeclarationsAreTheFilesOwnInFileOrder()
    {
        var file = (JsonObject)JsonNode.Parse(File.ReadAllText(DemoTestData.ToolsFile))!;
        var declared = new JsonArray(
            Set.CreateTools(DateOnly.MinValue).Select(t => (JsonNode)t.Declaration()).ToArray());
        Assert.Equal(PythonJson.Serialize(file["tools"]), PythonJson.Serialize(declared));
        Assert.Equal(PythonJson.Serialize(file["tools"]), PythonJson.Serialize(Set.Declarations()));
        Assert.Equal(file["tools"]!.AsArray().Select(t => t!["function"]!["name"]!.GetValue<string>()), Set.ToolNames);
        string prompt = ChatTemplate.Thinking.Render(
            [ChatMessage.User("hi")], Set.Declarations(), addGenerationPrompt: true);
        Assert.StartsWith(
            "<|im_system|>tool_declare<|im_middle|>[{\"type\": \"function\", \"function\": {\"name\": \"calculator\", "
            + "\"description\": ",
            prompt, StringComparison.Ordinal);
    }

    [Fact]
    public void UnitsAndEntitiesAreReadFromTheFile()
    {
        Assert.Equal(new DemoUnit("mi", "length", 1609.344), Set.Units["mi"]);
        Assert.Equal(new DemoUnit("K", "temperature", null), Set.Units["K"]);
        var france = Set.Entities.Single(e => e.Name == "France");
        Assert.Equal("country", france.Kind);
        Assert.Equal("capital", france.Attributes[0].Key);
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now.ToUniversalTime();

        public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.CreateCustomTimeZone(
            "test", now.Offset, "test", "test");
    }
}

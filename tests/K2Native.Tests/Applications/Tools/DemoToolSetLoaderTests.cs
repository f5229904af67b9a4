// demo_tools.json validation: each way the file can break is reported with the file name and the JSON path of the
// field, never as a crash or a silently wrong tool.
using System.Text;
using System.Text.Json.Nodes;
using K2Native.Applications.Tools.Demo;
using K2Native.Tests.Support;

namespace K2Native.Tests.Applications.Tools;

public sealed class DemoToolSetLoaderTests
{
    private static JsonObject Original() => (JsonObject)JsonNode.Parse(File.ReadAllText(DemoTestData.ToolsFile))!;

    private static DemoFormatException Broken(Action<JsonObject> change)
    {
        var root = Original();
        change(root);
        return Assert.Throws<DemoFormatException>(
            () => DemoToolSet.Parse(Encoding.UTF8.GetBytes(root.ToJsonString()), "broken.json"));
    }

    public static TheoryData<string, string, string> Cases => new()
    {
        { "version 2", "version", "expected 1, found a number" },
        { "tools not an array", "tools", "expected an array of tool declarations, found an object" },
        { "unknown tool", "tools[1].function.name", "unknown tool \"weather\"" },
        { "tool twice", "tools[3].function.name", "\"calculator\" is declared twice" },
        { "tool missing", "tools", "lookup is not declared" },
        { "type not function", "tools[0].type", "expected \"function\", found a string" },
        {
            "parameters missing",
            "tools[2].function.parameters",
            "expected a JSON schema object, found nothing (or null)"
        },
        { "factor missing", "units.km.factor", "expected a positive number, found nothing (or null)" },
        { "factor zero", "units.g.factor", "expected a positive number, found a number" },
        { "temperature factor", "units.F.factor", "a temperature unit has no factor" },
        { "temperature unit R", "units.R", "the temperature units are C, F and K" },
        { "attribute not a string", "lookup.France.population", "expected a string, found a number" },
        { "entity kind missing", "lookup.Mars.kind", "expected a string, found nothing (or null)" },
        { "entities equal ignoring case", "lookup. france", "same entity as \"France\"" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void BadFilesNameTheField(string change, string field, string problem)
    {
        var e = Broken(root =>
        {
            var tools = root["tools"]!.AsArray();
            var units = root["units"]!.AsObject();
            var lookup = root["lookup"]!.AsObject();
            switch (change)
            {
                case "version 2": root["version"] = 2; break;
                case "tools not an array": root["tools"] = new JsonObject(); break;
                case "unknown tool": tools[1]!["function"]!["name"] = "weather"; break;
                case "tool twice": tools[3]!["function"]!["name"] = "calculator"; break;
                case "tool missing": tools.RemoveAt(3); break;
                case "type not function": tools[0]!["type"] = "tool"; break;
                case "parameters missing": tools[2]!["function"]!.AsObject().Remove("parameters"); break;
                case "factor missing": units["km"]!.AsObject().Remove("factor"); break;
                case "factor zero": units["g"]!["factor"] = 0; break;
                case "temperature factor": units["F"]!["factor"] = 1.8; break;
                case "temperature unit R": units["R"] = new JsonObject { ["kind"] = "temperature" }; break;
                case "attribute not a string": lookup["France"]!["population"] = 68170000; break;
                case "entity kind missing": lookup["Mars"]!.AsObject().Remove("kind"); break;
                case "entities equal ignoring case":
                    lookup[" france"] = new JsonObject { ["kind"] = "country", ["capital"] = "x" };
                    break;
            }
        });
        Assert.Equal("broken.json", e.File);
        Assert.Equal(field, e.Field);
        Assert.Contains(problem, e.Problem, StringComparison.Ordinal);
        Assert.StartsWith($"broken.json: {field}: ", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "no JSON value")]
    [InlineData("{\"version\": 1,", "invalid JSON")]
    [InlineData("[1, 2]", "expected a JSON object")]
    public void NonDocumentsAreReported(string text, string problem)
    {
        var e = Assert.Throws<DemoFormatException>(() => DemoToolSet.Parse(Encoding.UTF8.GetBytes(text), "x.json"));
        Assert.Equal("", e.Field);
        Assert.Contains(problem, e.Message, StringComparison.Ordinal);
        Assert.StartsWith("x.json: ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadsFromAStreamAndFromAPath()
    {
        using var stream = File.OpenRead(DemoTestData.ToolsFile);
        var fromStream = DemoToolSet.Load(stream, "stream");
        Assert.Equal("stream", fromStream.Source);
        Assert.Equal(DemoTestData.Load().ToolNames, fromStream.ToolNames);
        using var dir = new TempDirectory();
        Assert.Null(DemoToolSet.FindIn(dir.Path));
        Assert.Throws<FileNotFoundException>(() => DemoToolSet.Load(dir.File(DemoToolSet.FileName)));
    }
}

// Byte-identical rendering of every conversation in ../shared/fixtures/chat/rendered.json (made by transformers
// with the official Kimi K2 Thinking Jinja template).
using System.Text.Json.Nodes;
using K2Native.Tests.Support;
using K2Native.Text;

namespace K2Native.Tests.Text;

public sealed class ChatTemplateFixtureTests
{
    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        if (SharedFixtures.Directory is null) { data.Add("(fixtures absent)"); return data; }
        foreach (var c in Cases()) data.Add(c["name"]!.GetValue<string>());
        return data;
    }

    [SharedTheory]
    [MemberData(nameof(Names))]
    public void Render_MatchesTransformers(string name)
    {
        var fixture = Cases().Single(c => c["name"]!.GetValue<string>() == name);
        var conversation = Conversation.Parse(fixture.ToJsonString());
        Assert.Equal(fixture["rendered"]!.GetValue<string>(), ChatTemplate.Thinking.Render(conversation));
    }

    [SharedFact]
    public void Fixtures_AreAllThere() => Assert.True(Cases().Count() >= 8);

    private static IEnumerable<JsonObject> Cases() =>
        JsonNode.Parse(File.ReadAllText(SharedFixtures.Path("fixtures", "chat", "rendered.json")))!.AsArray().Select(
            c => c!.AsObject());
}

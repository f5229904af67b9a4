// Issue 19, finding D: dropping a stray marker must not join the text around it into a new marker, and a tool-call
// id holding marker text is a malformed call, never a call whose name would put a marker into the next prompt.
using K2Native.Text;
using static K2Native.Tests.Text.OutputStream;

namespace K2Native.Tests.Text;

public sealed class OutputParserJoinTests
{
    private static readonly string[] AllMarkers = [.. K2Markers.ThinkingMarkers, K2Markers.ImEnd, K2Markers.ImUser];

    [Theory]
    [InlineData("</think><think<think>>", "<think")]
    [InlineData("</think>a<think<think>>b", "a<thinkb")]
    [InlineData("</think><</think>think>", "<think")]
    [InlineData("</think><|tool_calls_section_begin<think>|>", "<|tool_calls_section_begin|")]
    [InlineData("</think><th<think>ink>>>", "<think")]
    public void DroppedStrayMarkerDoesNotJoinIntoOne(string output, string content)
    {
        var events = Parse(ChatFormat.Thinking, output);
        Assert.Equal(content, string.Concat(events.OfType<ContentDelta>().Select(d => d.Text)));
        AssertNoMarkerText(events);
        for (int i = 0; i <= output.Length; i++)
            AssertNoMarkerText(Parse(ChatFormat.Thinking, Cut(output, i)));
        AssertNoMarkerText(Parse(ChatFormat.Thinking, output.Select(c => c.ToString())));
    }

    [Fact]
    public void ReasoningAndArgumentsAreGuardedToo()
    {
        const string output = "<think>a<th<|tool_call_end|>ink>b</think><|tool_calls_section_begin|><|tool_call_begin|>"
                              + "functions.f:0"
                              + "<|tool_call_argument_begin|>{\"s\": \"<|tool_call_e<|tool_calls_section_begin|>nd|>\"}"
                              + "<|tool_call_end|><|tool_calls_section_end|>";
        var events = Parse(ChatFormat.Thinking, output);
        Assert.Equal("a<thinkb", string.Concat(events.OfType<ReasoningDelta>().Select(d => d.Text)));
        var call = Assert.Single(events.OfType<ToolCallCompleted>());
        Assert.Equal("{\"s\": \"<|tool_call_end|\"}", call.Call.Function.Arguments.Text);
        AssertNoMarkerText(events);
    }

    [Theory]
    [InlineData("functions.<|tool_call<think>_begin|>:0")]
    [InlineData("functions.<|tool_call_begin|:0")]
    [InlineData("functions.a<|im_end|>b:0")]
    [InlineData("functions.<|x:1")]
    public void MarkerTextInIdIsMalformedCall(string id)
    {
        string output = $"<|tool_calls_section_begin|><|tool_call_begin|>{id}<|tool_call_argument_begin|>{{}}"
            + $"<|tool_call_end|><|tool_calls_section_end|>";
        var events = Parse(ChatFormat.Thinking, output);
        Assert.Empty(events.OfType<ToolCallStarted>());
        Assert.Empty(events.OfType<ToolCallCompleted>());
        Assert.Contains(events.OfType<MalformedOutput>(), m => m.Kind == OutputProblem.InvalidToolCallId);
    }

    [Theory]
    [InlineData("functions.<|x:0")]
    [InlineData("functions.<think>:0")]
    [InlineData("functions.a</think>b:3")]
    public void ToolCallIdsRefuseMarkerText(string id) => Assert.False(ToolCallIds.TryParse(id, out _, out _));

    private static void AssertNoMarkerText(List<OutputEvent> events)
    {
        string[] channels =
        [
            string.Concat(events.OfType<ContentDelta>().Select(d => d.Text)),
            string.Concat(events.OfType<ReasoningDelta>().Select(d => d.Text)),
            .. events.OfType<ToolCallArgumentsDelta>().GroupBy(d => d.Index).Select(
                g => string.Concat(g.Select(d => d.Text))),
            .. events.OfType<ToolCallStarted>().Select(s => s.Id),
        ];
        foreach (string text in channels)
            foreach (string marker in AllMarkers)
                Assert.False(text.Contains(marker, StringComparison.Ordinal), $"'{marker}' in merged text '{text}'");
    }
}

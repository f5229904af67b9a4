// OutputParser on whole outputs: the format's parts, every kind of malformed output (reported with its raw text,
// never thrown, never dropped), finish reasons, and the message AssistantMessageBuilder folds from the events.
using K2Native.Text;
using static K2Native.Tests.Text.OutputStream;

namespace K2Native.Tests.Text;

public sealed class OutputParserTests
{
    private const string Begin = "<|tool_calls_section_begin|>";
    private const string End = "<|tool_calls_section_end|>";

    private static string Call(string id, string args) =>
        $"<|tool_call_begin|>{id}<|tool_call_argument_begin|>{args}<|tool_call_end|>";

    private static List<string> Events(
        string output, ChatFormat format = ChatFormat.Thinking, FinishReason reason = FinishReason.Stop) =>
        Describe(Merge(Parse(format, output, reason)));

    [Theory]
    [InlineData("<think>Let me see.</think>Paris.")]
    [InlineData("Let me see.</think>Paris.")]
    public void Thinking_ReasoningThenContent_OpeningTagOptional(string output)
    {
        Assert.Equal(
            ["ReasoningDelta { Text = Let me see. }", "ContentDelta { Text = Paris. }", "Finished { Reason = Stop }"],
            Events(output));
        var message = Fold(Parse(ChatFormat.Thinking, output)).ToMessage();
        Assert.Equal(ChatMessage.Assistant("Paris.", reasoningContent: "Let me see."), message);
    }

    [Fact]
    public void Thinking_ReasoningEndedByTheToolSection()
    {
        string output = "I need the weather." + Begin + Call("functions.get_weather:0", "{\"city\": \"Beijing\"}")
            + End;
        Assert.Equal(
        [
            "ReasoningDelta { Text = I need the weather. }",
            "ToolCallStarted { Index = 0, Id = functions.get_weather:0, Name = get_weather }",
            "ToolCallArgumentsDelta { Index = 0, Text = {\"city\": \"Beijing\"} }",
            "Completed(0, functions.get_weather:0, get_weather, {\"city\": \"Beijing\"}, True)",
            "Finished { Reason = ToolCalls }",
        ], Events(output));
        var message = Fold(Parse(ChatFormat.Thinking, output)).ToMessage();
        Assert.Equal("I need the weather.", message.ReasoningContent);
        Assert.Equal("", message.Content!.Text);
        Assert.Equal(
            ToolCall.Create("functions.get_weather:0", "get_weather", "{\"city\": \"Beijing\"}"),
            Assert.Single(message.ToolCalls!));
    }

    [Fact]
    public void SeveralToolCalls_IndexIsThePositionAndIdKeepsTheModelsCounter()
    {
        string output = "<think>r</think>Checking." + Begin
            + Call("functions.get_weather:3", "{\"city\": \"北京\", \"note\": \"😀 \\u00e9\"}")
            + Call("functions.get_weather:4", "{\"city\": \"東京\"}")
            + Call("functions.ns.tool:name:5", "{}") + End;
        var events = Parse(ChatFormat.Thinking, output);
        Assert.Equal(
            [
                (0, "functions.get_weather:3", "get_weather"),
                (1, "functions.get_weather:4", "get_weather"),
                (2, "functions.ns.tool:name:5", "ns.tool:name")
            ],
            events.OfType<ToolCallStarted>().Select(s => (s.Index, s.Id, s.Name)));
        var message = Fold(events).ToMessage();
        Assert.Equal("Checking.", message.Content!.Text);
        Assert.Equal(
            ["{\"city\": \"北京\", \"note\": \"😀 \\u00e9\"}", "{\"city\": \"東京\"}", "{}"],
            message.ToolCalls!.Select(c => c.Function.Arguments.Text));
        Assert.All(events.OfType<ToolCallCompleted>(), c => Assert.True(c.ArgumentsAreValidJson));
        Assert.Empty(events.OfType<MalformedOutput>());
    }

    [Fact]
    public void NoThinkTagsAtAll_IsAllReasoning() =>
        Assert.Equal(["ReasoningDelta { Text = Hello! }", "Finished { Reason = Stop }"], Events("Hello!"));

    [Fact]
    public void Instruct_EverythingBeforeTheSectionIsContent_ThinkTagsAreText()
    {
        string output = "<think>x</think>Sure." + Begin + Call("functions.f:0", "{}") + End;
        var events = Parse(ChatFormat.Instruct, output);
        Assert.Equal("ContentDelta { Text = <think>x</think>Sure. }", Describe(Merge(events))[0]);
        var message = Fold(events).ToMessage();
        Assert.Null(message.ReasoningContent);
        Assert.Single(message.ToolCalls!);
    }

    [Fact]
    public void WhitespaceAroundTheIdAndBetweenCalls_IsTolerated()
    {
        string output = Begin + "\n<|tool_call_begin|> functions.f:0 <|tool_call_argument_begin|>{}<|tool_call_end|>\n "
            + Call("functions.g:1", "[]") + "\n" + End + "\n";
        var events = Parse(ChatFormat.Thinking, output);
        Assert.Empty(events.OfType<MalformedOutput>());
        Assert.Equal(["functions.f:0", "functions.g:1"], events.OfType<ToolCallCompleted>().Select(c => c.Call.Id));
    }

    [Fact]
    public void ArgumentsNotJson_CallKeptAndReported()
    {
        string output = Begin + Call("functions.f:0", "{\"a\": 1,}") + End;
        var events = Parse(ChatFormat.Thinking, output);
        Assert.False(Assert.Single(events.OfType<ToolCallCompleted>()).ArgumentsAreValidJson);
        var problem = Assert.Single(events.OfType<MalformedOutput>());
        Assert.Equal(
            (OutputProblem.InvalidArguments, "{\"a\": 1,}", 0), (problem.Kind, problem.RawText, problem.CallIndex));
        Assert.Equal("{\"a\": 1,}", Fold(events).ToMessage().ToolCalls![0].Function.Arguments.Text);
    }

    [Theory]
    [InlineData("")]
    [InlineData("{\"a\": 1} x")]
    [InlineData("{'a': 1}")]
    [InlineData("NaN")]
    public void ArgumentsNotJson_Variants(string args) =>
        Assert.False(
            Parse(ChatFormat.Thinking, Begin + Call("functions.f:0", args) + End)
                .OfType<ToolCallCompleted>()
                .Single()
                .ArgumentsAreValidJson);

    [Theory]
    [InlineData(" {\"a\": [1, 2.5e3, null, true]} ")]
    [InlineData("[]")]
    [InlineData("\"just a string\"")]
    public void ArgumentsJson_Variants(string args) =>
        Assert.True(
            Parse(ChatFormat.Thinking, Begin + Call("functions.f:0", args) + End)
                .OfType<ToolCallCompleted>()
                .Single()
                .ArgumentsAreValidJson);

    [Fact]
    public void UnterminatedCall_AtTheEnd_ReportsCallAndSection()
    {
        string output = "r</think>" + Begin + "<|tool_call_begin|>functions.f:0<|tool_call_argument_begin|>{\"a\": ";
        var events = Parse(ChatFormat.Thinking, output, FinishReason.Length);
        var problems = events.OfType<MalformedOutput>().ToList();
        Assert.Equal([OutputProblem.UnterminatedCall, OutputProblem.UnterminatedSection], problems.Select(p => p.Kind));
        Assert.Equal("<|tool_call_begin|>functions.f:0<|tool_call_argument_begin|>{\"a\": ", problems[0].RawText);
        Assert.Equal(0, problems[0].CallIndex);
        Assert.Equal(
            Begin + "<|tool_call_begin|>functions.f:0<|tool_call_argument_begin|>{\"a\": ", problems[1].RawText);
        Assert.Empty(events.OfType<ToolCallCompleted>());
        Assert.Equal(new Finished(FinishReason.Length), events[^1]);
        var folded = Fold(events);
        Assert.Null(folded.ToMessage().ToolCalls);
        Assert.Equal(2, folded.Problems.Count);
        Assert.Equal(FinishReason.Length, folded.FinishReason);
    }

    [Fact]
    public void UnterminatedCall_BeforeItsArguments()
    {
        var events = Parse(ChatFormat.Thinking, Begin + "<|tool_call_begin|>functions.f", FinishReason.Length);
        var problem = events.OfType<MalformedOutput>().First();
        Assert.Equal(
            (OutputProblem.UnterminatedCall, "<|tool_call_begin|>functions.f", null),
            (problem.Kind, problem.RawText, problem.CallIndex));
        Assert.Empty(events.OfType<ToolCallStarted>());
    }

    [Fact]
    public void UnterminatedSection_AfterACompletedCall()
    {
        string output = Begin + Call("functions.f:0", "{}");
        var events = Parse(ChatFormat.Thinking, output);
        var problem = Assert.Single(events.OfType<MalformedOutput>());
        Assert.Equal((OutputProblem.UnterminatedSection, output), (problem.Kind, problem.RawText));
        Assert.Single(events.OfType<ToolCallCompleted>());
        Assert.Equal(new Finished(FinishReason.ToolCalls), events[^1]);
    }

    [Fact]
    public void CallCutByTheNextCall_OrByTheSectionEnd()
    {
        string output = Begin + "<|tool_call_begin|>functions.f:0<|tool_call_argument_begin|>{\"a\""
            + Call("functions.g:1", "{}")
            + "<|tool_call_begin|>functions.h:2<|tool_call_argument_begin|>[" + End;
        var events = Parse(ChatFormat.Thinking, output);
        var problems = events.OfType<MalformedOutput>().ToList();
        Assert.Equal(
            [
                (OutputProblem.UnterminatedCall,
                    "<|tool_call_begin|>functions.f:0<|tool_call_argument_begin|>{\"a\"", (int?)0),
                (OutputProblem.UnterminatedCall, "<|tool_call_begin|>functions.h:2<|tool_call_argument_begin|>[", 2)
            ],
            problems.Select(p => (p.Kind, p.RawText, p.CallIndex)));
        Assert.Equal("functions.g:1", Assert.Single(Fold(events).ToMessage().ToolCalls!).Id);
    }

    [Theory]
    [InlineData("get_weather:0")]
    [InlineData("functions.get_weather")]
    [InlineData("functions.:0")]
    [InlineData("functions.f:")]
    [InlineData("functions.f:x1")]
    [InlineData("functions.f:-1")]
    [InlineData("functions.f:99999999999")]
    [InlineData("")]
    public void InvalidToolCallId_TheWholeCallIsReportedRaw(string id)
    {
        string call = Call(id, "{\"a\": 1}");
        var events = Parse(ChatFormat.Thinking, Begin + call + End);
        var problem = Assert.Single(events.OfType<MalformedOutput>());
        Assert.Equal((OutputProblem.InvalidToolCallId, call), (problem.Kind, problem.RawText));
        Assert.Empty(events.OfType<ToolCallStarted>());
        Assert.Empty(events.OfType<ToolCallArgumentsDelta>());
        Assert.Equal(new Finished(FinishReason.Stop), events[^1]);
    }

    [Fact]
    public void MissingArguments()
    {
        var events = Parse(ChatFormat.Thinking, Begin + "<|tool_call_begin|>functions.f:0<|tool_call_end|>" + End);
        var problem = Assert.Single(events.OfType<MalformedOutput>());
        Assert.Equal(
            (OutputProblem.MissingArguments, "<|tool_call_begin|>functions.f:0<|tool_call_end|>"),
            (problem.Kind, problem.RawText));
    }

    [Fact]
    public void StrayMarkers_InReasoningAndContent_AreReportedAndTheTextGoesOn()
    {
        Assert.Equal(
        [
            "ReasoningDelta { Text = ab }",
            "Malformed(StrayMarker, <|tool_call_end|> inside the reasoning, <|tool_call_end|>, )",
            "ReasoningDelta { Text = cd }",
            "Malformed(StrayMarker, <think> inside the reasoning, <think>, )",
            "ContentDelta { Text = x }",
            "Malformed(StrayMarker, <think> inside the content, <think>, )",
            "ContentDelta { Text = y }",
            "Malformed(StrayMarker, </think> inside the content, </think>, )",
            "Malformed(StrayMarker, <|tool_calls_section_end|> inside the content, <|tool_calls_section_end|>, )",
            "ContentDelta { Text = z }",
            "Finished { Reason = Stop }",
        ], Events("<think>ab<|tool_call_end|>cd<think></think>x<think>y</think><|tool_calls_section_end|>z"));
    }

    [Fact]
    public void StrayMarkers_InsideTheSectionAndCalls()
    {
        string output = Begin + "<|tool_call_argument_begin|>"
            + "<|tool_call_begin|>functions.f:0</think><|tool_call_argument_begin|>{\"t\": "
                + "\"<think>\"}<|tool_calls_section_begin|><|tool_call_end|>"
            + End;
        var events = Parse(ChatFormat.Thinking, output);
        Assert.Equal(
        [
            "Malformed(StrayMarker, <|tool_call_argument_begin|> between tool calls, <|tool_call_argument_begin|>, )",
            "Malformed(StrayMarker, </think> inside a tool call, </think>, )",
            "Malformed(StrayMarker, <think> inside a tool call, <think>, )",
            "Malformed(StrayMarker, <|tool_calls_section_begin|> inside a tool call, <|tool_calls_section_begin|>, )",
        ], Describe(events.OfType<MalformedOutput>()));
        var call = Assert.Single(events.OfType<ToolCallCompleted>());
        Assert.Equal("{\"t\": \"\"}", call.Call.Function.Arguments.Text);   // marker text never reaches the arguments
        Assert.True(call.ArgumentsAreValidJson);
    }

    [Fact]
    public void TextBetweenCallsAndAfterTheSection_IsReported()
    {
        string output = Begin + Call("functions.f:0", "{}") + " junk " + Call("functions.g:1", "{}") + End + "tail";
        var problems = Parse(ChatFormat.Thinking, output).OfType<MalformedOutput>().ToList();
        Assert.Equal(
            [(OutputProblem.TextOutsideCalls, " junk "), (OutputProblem.TextOutsideCalls, "tail")],
            problems.Select(p => (p.Kind, p.RawText)));
    }

    [Fact]
    public void ASecondSection_ContinuesTheCalls()
    {
        string output = Begin + Call("functions.f:0", "{}") + End + "\n" + Begin + Call("functions.g:1", "{}") + End;
        var events = Parse(ChatFormat.Thinking, output);
        Assert.Empty(events.OfType<MalformedOutput>());
        Assert.Equal([0, 1], events.OfType<ToolCallCompleted>().Select(c => c.Index));
    }

    [Fact]
    public void HeldBackMarkerStart_IsTextAtFinish()
    {
        Assert.Equal(["ReasoningDelta { Text = abc<|tool_ca }", "Finished { Reason = Stop }"], Events("abc<|tool_ca"));
        Assert.Equal(["ReasoningDelta { Text = <thi }", "Finished { Reason = Stop }"], Events("<thi"));
        Assert.Equal(["ContentDelta { Text = x</think }", "Finished { Reason = Stop }"], Events("</think>x</think"));
    }

    [Fact]
    public void EmptyOutput_IsJustFinished()
    {
        Assert.Equal([new Finished(FinishReason.Stop)], Parse(ChatFormat.Thinking, []));
        Assert.Equal(ChatMessage.Assistant(""), Fold(Parse(ChatFormat.Thinking, [])).ToMessage());
    }

    [Theory]
    [InlineData(FinishReason.Stop, FinishReason.ToolCalls)]
    [InlineData(FinishReason.Length, FinishReason.Length)]
    [InlineData(FinishReason.Cancelled, FinishReason.Cancelled)]
    [InlineData(FinishReason.Error, FinishReason.Error)]
    public void FinishReason_StopBecomesToolCallsOnlyWhenACallCompleted(FinishReason given, FinishReason expected)
    {
        Assert.Equal(
            new Finished(expected), Parse(ChatFormat.Thinking, Begin + Call("functions.f:0", "{}") + End, given)[^1]);
        Assert.Equal(new Finished(given), Parse(ChatFormat.Thinking, "r</think>c", given)[^1]);
    }

    [Fact]
    public void AfterFinish_PushAndFinishThrow()
    {
        var parser = new OutputParser(ChatFormat.Thinking);
        parser.Finish(FinishReason.Stop);
        Assert.True(parser.IsFinished);
        Assert.Throws<InvalidOperationException>(() => parser.Push("x"));
        Assert.Throws<InvalidOperationException>(() => parser.Finish(FinishReason.Stop));
    }

    [Fact]
    public void TextIsPassedOnAtOnce_OnlyAPossibleMarkerStartWaits()
    {
        var parser = new OutputParser(ChatFormat.Instruct);
        Assert.Equal([new ContentDelta("Hello <b>x</b> ")], parser.Push("Hello <b>x</b> "));
        Assert.Equal([new ContentDelta("a ")], parser.Push("a <|tool"));
        Assert.Equal([new ContentDelta("<|toolbox")], parser.Push("box"));
        Assert.Empty(parser.Push("<"));
        Assert.Equal([new ContentDelta("<<")], parser.Push("<<"));
        Assert.Equal([new ContentDelta("<")], parser.Finish(FinishReason.Stop).Take(1));
    }

    [Fact]
    public void ToolCallIds_FormatAndParse()
    {
        Assert.Equal("functions.get_weather:7", ToolCallIds.Format("get_weather", 7));
        Assert.True(ToolCallIds.TryParse("functions.a.b:c:12", out string name, out int index));
        Assert.Equal(("a.b:c", 12), (name, index));
        Assert.False(ToolCallIds.TryParse("functions.f:1 ", out _, out _));
    }
}

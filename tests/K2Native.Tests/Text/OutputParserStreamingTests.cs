// Streaming OutputParser: whatever pieces the output arrives in (every split point, every marker split at every
// position, one character at a time, random pieces), the merged events, the folded message and the problems are
// exactly those of parsing the whole output at once.
using K2Native.Text;
using static K2Native.Tests.Text.OutputStream;

namespace K2Native.Tests.Text;

public sealed class OutputParserStreamingTests
{
    public static TheoryData<ChatFormat, string> Outputs => new()
    {
        { ChatFormat.Thinking, "<think>Let me think.</think>Paris is the capital." },
        { ChatFormat.Thinking, "no opening tag</think>answer <b>bold</b> a<b" },
        { ChatFormat.Thinking, "weather needed<|tool_calls_section_begin|><|tool_call_begin|>functions.get_weather:0"
            + "<|tool_call_argument_begin|>{\"city\": \"北京\", \"e\": \"😀\"}<|tool_call_end|>"
            + "<|tool_calls_section_end|>" },
        { ChatFormat.Thinking, "<think>r</think>c<|tool_calls_section_begin|><|tool_call_begin|>functions.a:1"
            + "<|tool_call_argument_begin|>{\"x\": \"<tag>\"}<|tool_call_end|> <|tool_call_begin|>functions.b:2"
            + "<|tool_call_argument_begin|>[1, 2]<|tool_call_end|><|tool_calls_section_end|>" },
        { ChatFormat.Thinking, "<think>a<think>b<|tool_call_end|></think>c</think>d<|tool_calls_section_begin|>junk"
            + "<|tool_call_begin|>bad id<|tool_call_argument_begin|>{}<|tool_call_end|><|tool_call_begin|>functions.f:0"
            + "<|tool_call_argument_begin|>{oops<|tool_call_end|><|tool_call_begin|>functions.g:1<|tool_call_end|>"
            + "<|tool_call_begin|>functions.h:2<|tool_call_argument_begin|>{\"cut\":" },
        { ChatFormat.Thinking, "<|tool_calls_section_begin|><|tool_call_begin|>functions.f:0"
            + "<|tool_call_argument_begin|>{}<|tool_call_end|><|tool_calls_section_end|>after"
            + "<|tool_calls_section_begin|><|tool_call_begin|>functions.g:1<|tool_call_argument_begin|>{}"
            + "<|tool_call_end|>" },
        { ChatFormat.Thinking, "<<think>><</think>>text ending in <|tool_calls_sec" },
        { ChatFormat.Instruct, "Sure, <think>not special</think> "
            + "here.<|tool_calls_section_begin|><|tool_call_begin|>functions.f:0<|tool_call_argument_begin|>{\"q\": "
            + "\"é\"}<|tool_call_end|><|tool_calls_section_end|>" },
        { ChatFormat.Instruct, "plain answer with <| and <|im_end and <" },
        { ChatFormat.Thinking, "</think><think<think>>" },
        { ChatFormat.Thinking, "<th</think>ink>x<|tool_calls_section_begin<think>|>y<|tool_calls_section_begin|>"
            + "<|tool_call_begin|>functions.f:0<|tool_call_argument_begin|>{\"a\": \"<|tool_call_e"
            + "<|tool_calls_section_begin|>nd|>\"}<|tool_call_end|>" },
    };

    [Theory]
    [MemberData(nameof(Outputs))]
    public void EverySplitPoint_SameAsWhole(ChatFormat format, string output)
    {
        var whole = Expect(format, output);
        for (int i = 0; i <= output.Length; i++)
            AssertSame(whole, format, Cut(output, i).ToArray(), $"split at {i}");
    }

    [Theory]
    [MemberData(nameof(Outputs))]
    public void EveryPairOfSplitPoints_SameAsWhole(ChatFormat format, string output)
    {
        var whole = Expect(format, output);
        int step = Math.Max(1, output.Length / 60);
        for (int i = 0; i <= output.Length; i += step)
            for (int j = i; j <= output.Length; j++)
                AssertSame(whole, format, Cut(output, i, j).ToArray(), $"split at {i} and {j}");
    }

    [Theory]
    [MemberData(nameof(Outputs))]
    public void OneCharacterAtATime_SameAsWhole(ChatFormat format, string output) =>
        AssertSame(
            Expect(format, output), format, output.Select(c => c.ToString()).ToArray(), "one character at a time");

    [Theory]
    [MemberData(nameof(Outputs))]
    public void RandomPieces_SameAsWhole(ChatFormat format, string output)
    {
        var random = new Random(output.Length);
        for (int round = 0; round < 200; round++)
        {
            var cuts = Enumerable.Range(0, random.Next(1, 12)).Select(_ => random.Next(output.Length + 1)).ToArray();
            AssertSame(
                Expect(format, output), format, Cut(output, cuts).ToArray(), $"cuts {string.Join(",", cuts.Order())}");
        }
    }

    [Fact]
    public void EveryMarkerSplitAtEveryPosition_IsRecognized()
    {
        string[] markers =
        [
            "<think>", "</think>", "<|tool_calls_section_begin|>", "<|tool_calls_section_end|>",
            "<|tool_call_begin|>", "<|tool_call_argument_begin|>", "<|tool_call_end|>",
        ];
        string output = "<think>r</think>c<|tool_calls_section_begin|><|tool_call_begin|>functions.f:0"
            + "<|tool_call_argument_begin|>{}<|tool_call_end|><|tool_calls_section_end|>";
        var whole = Expect(ChatFormat.Thinking, output);
        Assert.Empty(whole.Problems);
        foreach (string marker in markers)
        {
            int at = output.IndexOf(marker, StringComparison.Ordinal);
            for (int k = 1; k < marker.Length; k++)
            {
                AssertSame(whole, ChatFormat.Thinking, Cut(output, at + k).ToArray(), $"{marker} split after {k}");
                AssertSame(
                    whole, ChatFormat.Thinking, Cut(output, at, at + k, at + marker.Length).ToArray(),
                    $"{marker} alone, split after {k}");
            }
        }
    }

    [Fact]
    public void MarkersAsWholeDeltas_LikeSpecialTokens()
    {
        string[] tokens = [
            "<think>", "I", " should", " call", "</think>", "<|tool_calls_section_begin|>", "<|tool_call_begin|>",
            "functions", ".f", ":", "0", "<|tool_call_argument_begin|>", "{\"", "a", "\":", " 1", "}",
            "<|tool_call_end|>", "<|tool_calls_section_end|>"];
        var events = Parse(ChatFormat.Thinking, tokens);
        Assert.Equal(Describe(Merge(Parse(ChatFormat.Thinking, string.Concat(tokens)))), Describe(Merge(events)));
        Assert.Equal(["{\"", "a", "\":", " 1", "}"], events.OfType<ToolCallArgumentsDelta>().Select(d => d.Text));
        Assert.Equal(["I", " should", " call"], events.OfType<ReasoningDelta>().Select(d => d.Text));
    }

    [Theory]
    [InlineData(ChatFormat.Thinking)]
    [InlineData(ChatFormat.Instruct)]
    public void RandomMarkerSoup_NeverThrows_StreamingSameAsWhole(ChatFormat format)
    {
        string[] pieces =
        [
            "<think>", "</think>", "<|tool_calls_section_begin|>", "<|tool_calls_section_end|>", "<|tool_call_begin|>",
            "<|tool_call_argument_begin|>", "<|tool_call_end|>", "functions.f:0", "functions.g.h:12", "bad", "{\"a\": "
                + "[1, \"<\"]}",
            "{", "}", "<", "<|", "<|tool_", "think>", "/", "|>", " ", "\n", "x", "北", "😀", "<|im_end|>",
        ];
        var random = new Random(format == ChatFormat.Thinking ? 1 : 2);
        for (int round = 0; round < 400; round++)
        {
            string output = string.Concat(
                Enumerable.Range(0, random.Next(0, 25)).Select(_ => pieces[random.Next(pieces.Length)]));
            var reason = (FinishReason)random.Next(5);
            var whole = Parse(format, output, reason);
            var cuts = Enumerable.Range(0, random.Next(0, 10)).Select(_ => random.Next(output.Length + 1)).ToArray();
            var streamed = Parse(format, Cut(output, cuts), reason);
            Assert.True(
                Describe(Merge(whole)).SequenceEqual(Describe(Merge(streamed))),
                $"output {output} cut at {string.Join(",", cuts.Order())}");
            Assert.IsType<Finished>(whole[^1]);
            Assert.Equal(
                whole.OfType<ToolCallStarted>().Count(),
                whole.OfType<ToolCallCompleted>().Count()
                    + whole.OfType<MalformedOutput>().Count(
                        m => m.CallIndex is not null && m.Kind == OutputProblem.UnterminatedCall));
        }
    }

    private sealed record Expected(List<string> Events, ChatMessage Message, List<string> Problems);

    private static Expected Expect(ChatFormat format, string output)
    {
        var events = Parse(format, output);
        var folded = Fold(events);
        return new Expected(Describe(Merge(events)), folded.ToMessage(), Describe(folded.Problems));
    }

    private static void AssertSame(Expected whole, ChatFormat format, string[] pieces, string how)
    {
        var events = Parse(format, pieces);
        var folded = Fold(events);
        var got = new Expected(Describe(Merge(events)), folded.ToMessage(), Describe(folded.Problems));
        if (!got.Events.SequenceEqual(whole.Events) || !got.Message.Equals(whole.Message)
            || !got.Problems.SequenceEqual(whole.Problems))
            Assert.Fail(
                $"{how}: pieces [{string.Join(" | ", pieces)}]\nexpected: {string.Join("; ", whole.Events)}\n     got: "
                + $"{string.Join("; ", got.Events)}");
        Assert.DoesNotContain(
            events,
            e => e is ReasoningDelta { Text: "" } or ContentDelta { Text: "" } or ToolCallArgumentsDelta { Text: "" });
    }
}

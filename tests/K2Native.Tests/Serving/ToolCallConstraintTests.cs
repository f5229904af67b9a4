// ToolCallConstraint on the bundled tokenizer: "none" removes the call markers even when they are the most
// likely tokens; "required" keeps the turn open and calls out of the reasoning, then forces the call's
// opening token by token; parallel_tool_calls false closes the section after the first call.
using K2Native.Runtime;
using K2Native.Serving;
using K2Native.Text;

namespace K2Native.Tests.Serving;

public sealed class ToolCallConstraintTests
{
    private static readonly Tokenizer Tokenizer = Tokenizer.Load(ServerFixture.Bundled);

    private static int Id(string marker) => Tokenizer.TryGetSpecial(marker, out int id)
        ? id
        : throw new InvalidOperationException(marker);

    private static float[] Logits(int favoured)
    {
        var logits = new float[Tokenizer.VocabSize];
        logits[favoured] = 10;
        return logits;
    }

    private static ToolCallConstraint Make(ToolChoice choice, bool parallel = true, bool reasoning = true) =>
        new(Tokenizer, choice, ["get_weather", "lookup"], 2, parallel, reasoning, [Id("<|im_end|>")]);

    [Fact]
    public void NoneForbidsTheSectionAndTheCallMarkers()
    {
        foreach (string marker in (string[])["<|tool_calls_section_begin|>", "<|tool_call_begin|>"])
        {
            var logits = Logits(Id(marker));
            Make(ToolChoice.None).Apply([], logits);
            Assert.Equal(float.NegativeInfinity, logits[Id(marker)]);
            Assert.Equal(0, logits[5]);
        }
    }

    [Fact]
    public void RequiredKeepsTheTurnOpenDuringReasoningThenForcesAnOpening()
    {
        var constraint = Make(ToolChoice.Required);
        var logits = Logits(Id("<|im_end|>"));
        constraint.Apply([Id("<think>"), 100], logits);
        Assert.Equal(float.NegativeInfinity, logits[Id("<|im_end|>")]);
        Assert.Equal(float.NegativeInfinity, logits[Id("<|tool_calls_section_begin|>")]);

        var generated = new List<int> { Id("<think>"), 100, Id("</think>") };
        var expected = Tokenizer.Encode(
            "<|tool_calls_section_begin|><|tool_call_begin|>functions.lookup:2<|tool_call_argument_begin|>");
        var alternative = Tokenizer.Encode(
            "<|tool_calls_section_begin|><|tool_call_begin|>functions.get_weather:2<|tool_call_argument_begin|>");
        for (int k = 0; k < expected.Length; k++)
        {
            logits = new float[Tokenizer.VocabSize];
            constraint.Apply(generated.ToArray(), logits);
            var allowed = Enumerable.Range(0, logits.Length).Where(i => logits[i] == 0).ToHashSet();
            Assert.Contains(expected[k], allowed);
            Assert.True(
                allowed.IsSubsetOf([expected[k], k < alternative.Length ? alternative[k] : -1]),
                $"step {k} allows {string.Join(",", allowed)}");
            generated.Add(expected[k]);
        }
        logits = new float[Tokenizer.VocabSize];
        constraint.Apply(generated.ToArray(), logits);
        Assert.DoesNotContain(float.NegativeInfinity, logits);
    }

    [Fact]
    public void ANamedFunctionIsTheOnlyOpening()
    {
        var constraint = Make(new ToolChoice(ToolChoiceMode.Named, "get_weather"), reasoning: false);
        var expected = Tokenizer.Encode(
            "<|tool_calls_section_begin|><|tool_call_begin|>functions.get_weather:2<|tool_call_argument_begin|>");
        for (int k = 0; k < expected.Length; k++)
        {
            var logits = new float[Tokenizer.VocabSize];
            constraint.Apply(expected.AsSpan(0, k), logits);
            Assert.Equal([expected[k]], Enumerable.Range(0, logits.Length).Where(i => logits[i] == 0));
        }
    }

    [Fact]
    public void OneCallOnlyClosesTheSectionAfterTheFirstCall()
    {
        var constraint = Make(ToolChoice.Auto, parallel: false, reasoning: false);
        var output = Tokenizer.Encode(
            "<|tool_calls_section_begin|><|tool_call_begin|>functions.lookup:2<|tool_call_argument_begin|>{}"
            + "<|tool_call_end|>");
        var logits = Logits(Id("<|tool_call_begin|>"));
        constraint.Apply(output, logits);
        Assert.Equal(
            [Id("<|tool_calls_section_end|>")],
            Enumerable.Range(0, logits.Length).Where(i => logits[i] != float.NegativeInfinity));
    }
}

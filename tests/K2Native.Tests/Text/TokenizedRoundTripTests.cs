// The round trip through the real tokenizer: render an assistant message (reasoning, content, tool calls),
// tokenize it, decode it token by token as generation does, parse the stream, and get the same message back —
// with K2's markers as single special tokens, and with them spelled out in ordinary tokens (a tokenizer whose
// added_tokens_decoder does not name them).
using System.Text.Json.Nodes;
using K2Native.Tests.Support;
using K2Native.Text;

namespace K2Native.Tests.Text;

public sealed class TokenizedRoundTripTests : IDisposable
{
    private static readonly string[] Markers =
        [
            "<think>",
            "</think>",
            "<|tool_calls_section_begin|>",
            "<|tool_calls_section_end|>",
            "<|tool_call_begin|>",
            "<|tool_call_argument_begin|>",
            "<|tool_call_end|>"
        ];

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    public static TheoryData<bool> MarkerKinds() => new([true, false]);

    [Theory]
    [MemberData(nameof(MarkerKinds))]
    public void BundledTokenizer(bool markersAreSpecial) =>
        RoundTrip(Path.Combine(SharedFixtures.RepositoryRoot, "models", "tiny-random"), markersAreSpecial);

    [SharedTheory]
    [MemberData(nameof(MarkerKinds))]
    public void FixtureTokenizer(bool markersAreSpecial) => RoundTrip(SharedFixtures.TinyK2, markersAreSpecial);

    private void RoundTrip(string checkpoint, bool markersAreSpecial)
    {
        var tokenizer = Tokenizer.Load(markersAreSpecial ? checkpoint : WithoutMarkers(checkpoint));
        foreach (var row in OutputRoundTripTests.Answers)
        {
            var (format, answer) = ((ChatFormat)row[0], (ChatMessage)row[1]);
            string generated = OutputRoundTripTests.Generated(ChatTemplate.For(format), answer);
            var ids = tokenizer.Encode(generated);
            int markerIds = ids.Count(tokenizer.IsSpecial);
            Assert.True(
                markersAreSpecial
                    ? markerIds > 0 || !generated.Contains("<|", StringComparison.Ordinal)
                    : markerIds == 0,
                $"{markerIds} special ids in the encoding of {generated}");

            var decoder = tokenizer.CreateStreamingDecoder();
            var parser = new OutputParser(format);
            var events = new List<OutputEvent>();
            foreach (int id in ids) parser.Push(decoder.Push(id), events);
            parser.Push(decoder.Flush(), events);
            parser.Finish(FinishReason.Stop, events);
            var builder = OutputStream.Fold(events);
            Assert.Empty(builder.Problems);
            Assert.Equal(answer, builder.ToMessage());
        }
    }

    /// <summary>A copy of the tokenizer files whose added_tokens_decoder leaves K2's reasoning and tool-call markers
    /// out.</summary>
    private string WithoutMarkers(string checkpoint)
    {
        File.Copy(Path.Combine(checkpoint, "tiktoken.model"), _dir.File("tiktoken.model"), overwrite: true);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(checkpoint, "tokenizer_config.json")))!.AsObject();
        var added = config["added_tokens_decoder"]!.AsObject();
        foreach (var (id, entry) in added.ToList())
            if (Markers.Contains(entry!["content"]!.GetValue<string>())) added.Remove(id);
        File.WriteAllText(_dir.File("tokenizer_config.json"), config.ToJsonString());
        return _dir.Path;
    }
}

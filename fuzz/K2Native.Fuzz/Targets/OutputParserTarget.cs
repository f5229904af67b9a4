// Fuzz target of the output parser, for both formats: the input text parsed whole and cut into pieces (cut points
// taken from the input itself) gives the same merged events; no marker appears in any delta, in the merged text of
// a channel, or in a started call's id or name; no exception at all.
using System.Text;
using K2Native.Text;

namespace K2Native.Fuzz;

internal static class OutputParserTarget
{
    // The markers each format's parser consumes: <think> and </think> are plain text to the Instruct format.
    private static string[] Markers(ChatFormat format) =>
        format == ChatFormat.Thinking ? K2Markers.ThinkingMarkers : K2Markers.ToolCallMarkers;

    public static readonly FuzzTarget Target = new(
        "output-parser",
        "no exception; chunked == whole; no marker in any delta, merged channel text, call id or name",
        input =>
        {
            string text = Encoding.UTF8.GetString(input);
            foreach (var format in new[] { ChatFormat.Thinking, ChatFormat.Instruct })
            {
                var whole = Parse(format, [text]);
                var pieces = Parse(format, Cut(text, input));
                var single = Parse(format, text.Select(c => c.ToString()));
                if (!whole.SequenceEqual(pieces))
                    throw new PropertyViolation(
                        $"{format}: pieces differ from whole:\n{Show(whole)}\n---\n{Show(pieces)}");
                if (!whole.SequenceEqual(single))
                    throw new PropertyViolation($"{format}: one char at a time differs from whole");
            }
        },
        []);

    /// <summary>The events with adjacent deltas of one channel merged, each as text; checks the marker property on the
    /// way.</summary>
    private static List<string> Parse(ChatFormat format, IEnumerable<string> deltas)
    {
        var parser = new OutputParser(format);
        var events = new List<OutputEvent>();
        foreach (string delta in deltas) parser.Push(delta, events);
        parser.Finish(FinishReason.Stop, events);

        var merged = new List<string>();
        var channel = new StringBuilder();
        string? channelKey = null;
        void Flush()
        {
            if (channelKey is null) return;
            NoMarker(format, channel.ToString(), "merged " + channelKey);
            merged.Add(channelKey + ":" + channel);
            channel.Clear();
            channelKey = null;
        }
        foreach (var e in events)
        {
            (string Key, string Text)? delta = e switch
            {
                ReasoningDelta r => ("reasoning", r.Text),
                ContentDelta c => ("content", c.Text),
                ToolCallArgumentsDelta a => ($"arguments {a.Index}", a.Text),
                _ => null,
            };
            if (delta is { } d)
            {
                NoMarker(format, d.Text, "a delta");
                if (d.Text.Length == 0) throw new PropertyViolation("an empty delta");
                if (channelKey != d.Key) Flush();
                channelKey = d.Key;
                channel.Append(d.Text);
                continue;
            }
            Flush();
            merged.Add(e switch
            {
                ToolCallStarted s => Checked(format, s),
                ToolCallCompleted c => $"completed {c.Index} {c.Call.Id} {c.Call.Function.Name} "
                    + $"{c.Call.Function.Arguments.Text} {c.ArgumentsAreValidJson}",
                _ => e.ToString(),
            });
        }
        Flush();
        return merged;
    }

    private static string Checked(ChatFormat format, ToolCallStarted s)
    {
        NoMarker(format, s.Id, "a call id");
        NoMarker(format, s.Name, "a call name");
        return s.ToString();
    }

    private static void NoMarker(ChatFormat format, string text, string where)
    {
        foreach (string m in Markers(format))
            if (text.Contains(m, StringComparison.Ordinal))
                throw new PropertyViolation($"marker {m} in {where}: {text}");
    }

    private static IEnumerable<string> Cut(string text, byte[] input)
    {
        int at = 0, i = 0;
        while (at < text.Length)
        {
            int len = 1 + (i < input.Length ? input[i++] % 7 : text.Length);
            yield return text.Substring(at, Math.Min(len, text.Length - at));
            at += len;
        }
    }

    private static string Show(List<string> events) => string.Join("\n", events);
}

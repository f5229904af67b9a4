// Test helpers for OutputParser: feed text in given pieces, merge adjacent deltas (so outputs fed in different
// pieces compare equal), and fold events into a message.
using K2Native.Text;

namespace K2Native.Tests.Text;

internal static class OutputStream
{
    public static List<OutputEvent> Parse(
        ChatFormat format, IEnumerable<string> deltas, FinishReason reason = FinishReason.Stop)
    {
        var parser = new OutputParser(format);
        var events = new List<OutputEvent>();
        foreach (string delta in deltas) parser.Push(delta, events);
        parser.Finish(reason, events);
        return events;
    }

    public static List<OutputEvent> Parse(ChatFormat format, string whole, FinishReason reason = FinishReason.Stop) =>
        Parse(format, [whole], reason);

    /// <summary>Adjacent reasoning, content and same-call argument deltas merged into one.</summary>
    public static List<OutputEvent> Merge(IEnumerable<OutputEvent> events)
    {
        var merged = new List<OutputEvent>();
        foreach (var e in events)
        {
            var last = merged.Count > 0 ? merged[^1] : null;
            switch ((last, e))
            {
                case (ReasoningDelta a, ReasoningDelta b): merged[^1] = new ReasoningDelta(a.Text + b.Text); break;
                case (ContentDelta a, ContentDelta b): merged[^1] = new ContentDelta(a.Text + b.Text); break;
                case (ToolCallArgumentsDelta a, ToolCallArgumentsDelta b) when a.Index == b.Index:
                    merged[^1] = new ToolCallArgumentsDelta(a.Index, a.Text + b.Text);
                    break;
                default: merged.Add(e); break;
            }
        }
        return merged;
    }

    public static AssistantMessageBuilder Fold(IEnumerable<OutputEvent> events)
    {
        var builder = new AssistantMessageBuilder();
        builder.Apply(events);
        return builder;
    }

    /// <summary>The events as one comparable string per event (records with a ToolCall inside compare by reference
    /// otherwise).</summary>
    public static List<string> Describe(IEnumerable<OutputEvent> events) => events.Select(e => e switch
    {
        ToolCallCompleted c => $"Completed({c.Index}, {c.Call.Id}, {c.Call.Function.Name}, "
            + $"{c.Call.Function.Arguments.Text}, {c.ArgumentsAreValidJson})",
        MalformedOutput m => $"Malformed({m.Kind}, {m.Problem}, {m.RawText}, {m.CallIndex})",
        _ => e.ToString(),
    }).ToList();

    /// <summary>The text cut at the given positions (sorted, in 0..Length).</summary>
    public static IEnumerable<string> Cut(string text, params int[] at)
    {
        int start = 0;
        foreach (int p in at.Order())
        {
            yield return text[start..p];
            start = p;
        }
        yield return text[start..];
    }
}

// What OutputParser makes of a model's generated text: reasoning and content deltas, tool calls (started,
// argument deltas, completed), malformed stretches with their raw text, and the finish.
namespace K2Native.Text;

/// <summary>Why generation ended.</summary>
public enum FinishReason
{
    /// <summary>The model ended its turn.</summary>
    Stop,

    /// <summary>The token limit cut the output.</summary>
    Length,

    /// <summary>The model ended its turn with tool calls (the parser reports this in place of Stop when calls
    /// completed).</summary>
    ToolCalls,

    /// <summary>The caller stopped generation.</summary>
    Cancelled,

    /// <summary>Generation failed.</summary>
    Error,
}

/// <summary>The kinds of malformed output.</summary>
public enum OutputProblem
{
    /// <summary>A format marker where it has no meaning (e.g. &lt;think&gt; in the content, &lt;|tool_call_end|&gt;
    /// outside a call).</summary>
    StrayMarker,

    /// <summary>A completed tool call whose arguments are not valid JSON (the call is still reported).</summary>
    InvalidArguments,

    /// <summary>A tool call whose id is not <c>functions.NAME:IDX</c> (the call is not reported as a call).</summary>
    InvalidToolCallId,

    /// <summary>A tool call closed before &lt;|tool_call_argument_begin|&gt;.</summary>
    MissingArguments,

    /// <summary>A tool call not closed by &lt;|tool_call_end|&gt; before the next call, the section end or the end of
    /// output.</summary>
    UnterminatedCall,

    /// <summary>A tool-call section not closed by &lt;|tool_calls_section_end|&gt; at the end of output.</summary>
    UnterminatedSection,

    /// <summary>Text other than whitespace between tool calls or after the tool-call section.</summary>
    TextOutsideCalls,
}

/// <summary>One thing the parser found in the output.</summary>
public abstract record OutputEvent;

/// <summary>More reasoning text (K2 Thinking's &lt;think&gt; part).</summary>
public sealed record ReasoningDelta(string Text) : OutputEvent;

/// <summary>More answer text.</summary>
public sealed record ContentDelta(string Text) : OutputEvent;

/// <summary>A tool call began. <paramref name="Index"/> is its position in this output (0, 1, ...) and keys the events
/// that follow; the model's own IDX is part of <paramref name="Id"/>.</summary>
public sealed record ToolCallStarted(int Index, string Id, string Name) : OutputEvent;

/// <summary>More argument text of the call at <paramref name="Index"/>.</summary>
public sealed record ToolCallArgumentsDelta(int Index, string Text) : OutputEvent;

/// <summary>The call at <paramref name="Index"/> ended; its arguments are the whole raw text between the
/// markers.</summary>
public sealed record ToolCallCompleted(int Index, ToolCall Call, bool ArgumentsAreValidJson) : OutputEvent;

/// <summary>Output that does not follow the format, with the raw text it concerns (nothing is dropped
/// silently).</summary>
public sealed record MalformedOutput(OutputProblem Kind, string Problem, string RawText) : OutputEvent
{
    /// <summary>The started call this concerns, when it is one (an unterminated call will not complete).</summary>
    public int? CallIndex { get; init; }
}

/// <summary>The last event of an output.</summary>
public sealed record Finished(FinishReason Reason) : OutputEvent;

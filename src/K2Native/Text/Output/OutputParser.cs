// Turns a model's generated text, fed as the deltas a streaming decoder yields, into OutputEvents. K2's output:
//   [<think>] reasoning </think> content [<|tool_calls_section_begin|>
//       (<|tool_call_begin|> functions.NAME:IDX <|tool_call_argument_begin|> JSON <|tool_call_end|>)*
//   <|tool_calls_section_end|>]
// The opening <think> is optional and reasoning also ends at the section begin or a bare call begin (K2 Thinking); K2
// Instruct has no reasoning, so everything before the section is content. Markers may arrive whole (special tokens) or
// split over any number of deltas; text is passed on at once except a tail that could still become a marker, which
// waits for the next delta (at most one marker's length) or for Finish. Markers are never shown as text, not even in
// the joined text of a channel once a stray marker between two pieces is dropped (JoinedMarkerGuard). Anything out of
// shape is reported as MalformedOutput with its raw text and parsing goes on; nothing throws for any input.
// The stop token (<|im_end|>) is the generation loop's to catch: it is not pushed, and would be text here.
using System.Text;
using System.Text.Json;
using static K2Native.Text.K2Markers;

namespace K2Native.Text;

/// <summary>Streaming parser for one assistant output (create one per generation).</summary>
public sealed class OutputParser
{
    private enum State { Start, Reasoning, Content, Section, CallId, Arguments, AfterSection, Finished }

    private readonly string[] _markers;
    private State _state;
    private string _pending = "";                     // received, not yet passed on (may start with part of a marker)
    private readonly StringBuilder _section = new();  // raw text of the open tool-call section, markers included
    private readonly StringBuilder _call = new();     // raw text of the open tool call, markers included
    private readonly StringBuilder _callId = new();
    private readonly StringBuilder _arguments = new();
    private readonly StringBuilder _outside = new();  // text between calls or after the section
    private string _openId = "";
    private string _openName = "";
    private int _openIndex = -1;                      // index of the open call when its id was valid, else -1
    private int _started;
    private int _completed;
    private readonly JoinedMarkerGuard _reasoningGuard;
    private readonly JoinedMarkerGuard _contentGuard;
    private JoinedMarkerGuard _argumentsGuard;

    public OutputParser(ChatFormat format)
    {
        Format = format;
        _markers = format == ChatFormat.Thinking ? ThinkingMarkers : ToolCallMarkers;
        _state = format == ChatFormat.Thinking ? State.Start : State.Content;
        _reasoningGuard = new JoinedMarkerGuard(_markers);
        _contentGuard = new JoinedMarkerGuard(_markers);
        _argumentsGuard = new JoinedMarkerGuard(_markers);
    }

    public ChatFormat Format { get; }

    public bool IsFinished => _state == State.Finished;

    /// <summary>Whether text pushed now would still be reasoning (K2 Thinking before &lt;/think&gt; or the tool-call
    /// section).</summary>
    public bool IsReasoning => _state is State.Start or State.Reasoning;

    /// <summary>Parses the next piece of generated text.</summary>
    public IReadOnlyList<OutputEvent> Push(string delta)
    {
        var events = new List<OutputEvent>();
        Push(delta, events);
        return events;
    }

    /// <summary>Parses the next piece of generated text, adding the events to <paramref name="events"/>.</summary>
    /// <exception cref="InvalidOperationException">The output was already finished.</exception>
    public void Push(string delta, ICollection<OutputEvent> events)
    {
        if (_state == State.Finished)
            throw new InvalidOperationException("this output is finished; start a new OutputParser");
        _pending = _pending.Length == 0 ? delta : _pending + delta;
        Drain(events, final: false);
    }

    /// <summary>Ends the output: passes on held-back text, reports anything left open, and adds
    /// <see cref="Finished"/>.</summary>
    public IReadOnlyList<OutputEvent> Finish(FinishReason reason)
    {
        var events = new List<OutputEvent>();
        Finish(reason, events);
        return events;
    }

    /// <summary>Ends the output, adding the events to <paramref name="events"/>. Stop becomes ToolCalls when a call
    /// completed.</summary>
    public void Finish(FinishReason reason, ICollection<OutputEvent> events)
    {
        if (_state == State.Finished) throw new InvalidOperationException("this output is already finished");
        Drain(events, final: true);
        if (_state is State.CallId or State.Arguments)
        {
            ReportUnterminatedCall(events, "the end of the output");
            _state = State.Section;
        }
        if (_state == State.Section)
        {
            ReportOutside(events, "between tool calls");
            events.Add(
                new MalformedOutput(
                    OutputProblem.UnterminatedSection, $"the tool-call section was not closed by {SectionEnd}",
                    _section.ToString()));
        }
        if (_state == State.AfterSection) ReportOutside(events, "after the tool-call section");
        _state = State.Finished;
        events.Add(new Finished(reason == FinishReason.Stop && _completed > 0 ? FinishReason.ToolCalls : reason));
    }

    private void Drain(ICollection<OutputEvent> events, bool final)
    {
        while (_pending.Length > 0)
        {
            if (_state == State.Start)
            {
                if (!final && _pending.Length < ThinkBegin.Length
                    && ThinkBegin.StartsWith(_pending, StringComparison.Ordinal))
                    return;
                if (_pending.StartsWith(ThinkBegin, StringComparison.Ordinal)) _pending = _pending[ThinkBegin.Length..];
                _state = State.Reasoning;
                continue;
            }
            var (at, marker) = FindMarker(_pending, final);
            if (at < 0)
            {
                Text(_pending, events);
                _pending = "";
                return;
            }
            if (at > 0) Text(_pending[..at], events);
            if (marker is null)
            {
                _pending = _pending[at..];
                return;
            }
            _pending = _pending[(at + marker.Length)..];
            Marker(marker, events);
        }
    }

    /// <summary>
    /// The first complete marker (its index and text), else the start of a tail that is a marker's beginning
    /// (marker null; only while more text may come), else -1. Every marker has its only '&lt;' in front, so a tail
    /// that could grow into a marker holds no complete marker after its start.
    /// </summary>
    private (int At, string? Marker) FindMarker(string text, bool final)
    {
        // Inside arguments too every marker of the format counts: <think> there is a stray marker (dropped and
        // reported), since marker text must never reach a caller's tool arguments (and K2 writes it as a special
        // token).
        string[] markers = _markers;
        for (int i = text.IndexOf('<'); i >= 0; i = text.IndexOf('<', i + 1))
        {
            var rest = text.AsSpan(i);
            foreach (string m in markers)
            {
                if (rest.StartsWith(m, StringComparison.Ordinal)) return (i, m);
                if (!final && rest.Length < m.Length && m.AsSpan().StartsWith(rest, StringComparison.Ordinal))
                    return (i, null);
            }
        }
        return (-1, null);
    }

    private void Text(string text, ICollection<OutputEvent> events)
    {
        switch (_state)
        {
            case State.Reasoning:
                text = _reasoningGuard.Pass(text);
                if (text.Length > 0) events.Add(new ReasoningDelta(text));
                break;
            case State.Content:
                text = _contentGuard.Pass(text);
                if (text.Length > 0) events.Add(new ContentDelta(text));
                break;
            case State.Section:
                _section.Append(text);
                _outside.Append(text);
                break;
            case State.AfterSection:
                _outside.Append(text);
                break;
            case State.CallId:
                _section.Append(text);
                _call.Append(text);
                _callId.Append(text);
                break;
            case State.Arguments:
                _section.Append(text);
                _call.Append(text);
                text = _argumentsGuard.Pass(text);
                _arguments.Append(text);
                if (_openIndex >= 0 && text.Length > 0) events.Add(new ToolCallArgumentsDelta(_openIndex, text));
                break;
        }
    }

    private void Marker(string marker, ICollection<OutputEvent> events)
    {
        if (_state is State.Section or State.CallId or State.Arguments) _section.Append(marker);
        switch (_state)
        {
            case State.Reasoning when marker == ThinkEnd:
                _state = State.Content;
                break;
            case State.Reasoning or State.Content or State.AfterSection when marker == SectionBegin:
                if (_state == State.AfterSection) ReportOutside(events, "after the tool-call section");
                _section.Clear().Append(SectionBegin);
                _outside.Clear();
                _state = State.Section;
                break;
            case State.Reasoning or State.Content when marker == CallBegin:
                // A call without its section (K2 Thinking sometimes ends reasoning this way): the section opens
                // implicitly.
                _section.Clear().Append(CallBegin);
                _outside.Clear();
                OpenCall();
                break;
            case State.Reasoning:
                Stray(marker, "inside the reasoning", events);
                break;
            case State.Content:
                Stray(marker, "inside the content", events);
                break;
            case State.AfterSection:
                ReportOutside(events, "after the tool-call section");
                Stray(marker, "after the tool-call section", events);
                break;
            case State.Section:
                ReportOutside(events, "between tool calls");
                if (marker == CallBegin) OpenCall();
                else if (marker == SectionEnd) _state = State.AfterSection;
                else Stray(marker, "between tool calls", events);
                break;
            case State.CallId when marker == ArgumentsBegin:
                _call.Append(marker);
                StartArguments(events);
                break;
            case State.CallId when marker == CallEnd:
                _call.Append(marker);
                events.Add(
                    new MalformedOutput(
                        OutputProblem.MissingArguments, $"a tool call was closed before {ArgumentsBegin}",
                        _call.ToString()));
                _state = State.Section;
                break;
            case State.Arguments when marker == CallEnd:
                _call.Append(marker);
                CompleteCall(events);
                _state = State.Section;
                break;
            case State.CallId or State.Arguments when marker == CallBegin:
                ReportUnterminatedCall(events, "the next " + CallBegin);
                OpenCall();
                break;
            case State.CallId or State.Arguments when marker == SectionEnd:
                ReportUnterminatedCall(events, SectionEnd);
                _state = State.AfterSection;
                break;
            case State.CallId or State.Arguments:
                Stray(marker, "inside a tool call", events);
                break;
        }
    }

    private void OpenCall()
    {
        _call.Clear().Append(CallBegin);
        _callId.Clear();
        _arguments.Clear();
        _argumentsGuard = new JoinedMarkerGuard(_markers);
        _openIndex = -1;
        _state = State.CallId;
    }

    private void StartArguments(ICollection<OutputEvent> events)
    {
        _openId = _callId.ToString().Trim();
        if (ToolCallIds.TryParse(_openId, out _openName, out _))
        {
            _openIndex = _started++;
            events.Add(new ToolCallStarted(_openIndex, _openId, _openName));
        }
        _state = State.Arguments;
    }

    private void CompleteCall(ICollection<OutputEvent> events)
    {
        if (_openIndex < 0)
        {
            events.Add(
                new MalformedOutput(
                    OutputProblem.InvalidToolCallId,
                    $"tool call id \"{_openId}\" is not of the form functions.NAME:IDX without marker text",
                    _call.ToString()));
            return;
        }
        string arguments = _arguments.ToString();
        bool valid = IsJson(arguments);
        events.Add(new ToolCallCompleted(_openIndex, ToolCall.Create(_openId, _openName, arguments), valid));
        _completed++;
        if (!valid)
            events.Add(
                new MalformedOutput(
                    OutputProblem.InvalidArguments, $"the arguments of tool call {_openId} are not valid JSON",
                    arguments) { CallIndex = _openIndex });
    }

    private void ReportUnterminatedCall(ICollection<OutputEvent> events, string cutBy)
    {
        string which = _state == State.CallId ? "a tool call" : $"tool call \"{_callId.ToString().Trim()}\"";
        events.Add(new MalformedOutput(
            OutputProblem.UnterminatedCall, $"{which} was cut by {cutBy} before {CallEnd}", _call.ToString())
        {
            CallIndex = _openIndex >= 0 ? _openIndex : null,
        });
        _openIndex = -1;
    }

    private void ReportOutside(ICollection<OutputEvent> events, string where)
    {
        if (_outside.Length == 0) return;
        string text = _outside.ToString();
        _outside.Clear();
        if (!string.IsNullOrWhiteSpace(text))
            events.Add(new MalformedOutput(OutputProblem.TextOutsideCalls, $"text {where}", text));
    }

    private static void Stray(string marker, string where, ICollection<OutputEvent> events) =>
        events.Add(new MalformedOutput(OutputProblem.StrayMarker, $"{marker} {where}", marker));

    private static bool IsJson(string text)
    {
        var reader = new Utf8JsonReader(
            Encoding.UTF8.GetBytes(text), new JsonReaderOptions { MaxDepth = JsonInput.MaxDepth });
        try
        {
            if (!reader.Read()) return false;
            reader.Skip();
            return !reader.Read();
        }
        catch (JsonException)
        {
            return false;
        }
    }
}

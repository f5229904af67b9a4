// tool_choice and parallel_tool_calls as a token constraint, on K2's marker tokens (special ids in every K2
// vocabulary): "none" forbids <|tool_calls_section_begin|> and <|tool_call_begin|>, so no call can start;
// "required" and a named function forbid ending the turn or starting a call during the reasoning, then force
// `<|tool_calls_section_begin|><|tool_call_begin|>functions.NAME:N<|tool_call_argument_begin|>` (NAME among the
// allowed tools, N the conversation's call count) right after </think>, and leave the arguments to the model;
// parallel_tool_calls false forces <|tool_calls_section_end|> after the first <|tool_call_end|>.
// A call is guaranteed unless the token limit ends the answer first.
using K2Native.Runtime;
using K2Native.Text;
using static K2Native.Text.K2Markers;

namespace K2Native.Serving;

/// <summary>Masks tokens so that the answer respects tool_choice.</summary>
public sealed class ToolCallConstraint : ITokenConstraint
{
    private readonly int _thinkEnd, _sectionBegin, _sectionEnd, _callBegin, _callEnd;
    private readonly int[] _stopIds;
    private readonly int[][] _prefixes;   // forced call openings, one per allowed tool; empty unless a call is required
    private readonly bool _mustCall, _forbidCalls, _singleCall;
    private readonly bool _reasoningFirst;

    /// <param name="reasoningFirst">Whether the answer starts with reasoning that ends at &lt;/think&gt;.</param>
    /// <param name="stopIds">The ids that end the turn (forbidden before a required call).</param>
    public ToolCallConstraint(
        Tokenizer tokenizer, ToolChoice choice, IReadOnlyList<string> toolNames, int previousCalls,
        bool parallelToolCalls, bool reasoningFirst, IEnumerable<int> stopIds)
    {
        _thinkEnd = Special(tokenizer, ThinkEnd);
        _sectionBegin = Special(tokenizer, SectionBegin);
        _sectionEnd = Special(tokenizer, SectionEnd);
        _callBegin = Special(tokenizer, CallBegin);
        _callEnd = Special(tokenizer, CallEnd);
        _stopIds = stopIds.ToArray();
        _reasoningFirst = reasoningFirst && _thinkEnd >= 0;
        _forbidCalls = choice.Mode == ToolChoiceMode.None;
        _mustCall = choice.Mode is ToolChoiceMode.Required or ToolChoiceMode.Named;
        _singleCall = !parallelToolCalls;
        var names = choice.Mode == ToolChoiceMode.Named ? [choice.Name!] : toolNames;
        _prefixes = _mustCall
            ? names.Select(
                n => tokenizer.Encode(
                    $"{SectionBegin}{CallBegin}{ToolCallIds.Format(n, previousCalls)}{ArgumentsBegin}")).ToArray()
            : [];
    }

    /// <summary>Whether this vocabulary has the marker tokens the constraint needs (every K2 vocabulary
    /// does).</summary>
    public static bool Supported(Tokenizer tokenizer) =>
        new[] { SectionBegin, SectionEnd, CallBegin, CallEnd, ArgumentsBegin }.All(
            m => tokenizer.TryGetSpecial(m, out _));

    /// <summary>Whether the request needs a constraint at all.</summary>
    public static bool Needed(ToolChoice choice, bool parallelToolCalls) => choice.Mode != ToolChoiceMode.Auto
        || !parallelToolCalls;

    public void Apply(ReadOnlySpan<int> generated, Span<float> logits)
    {
        if (_forbidCalls)
        {
            Forbid(logits, _sectionBegin);
            Forbid(logits, _callBegin);
            return;
        }
        int answerStart = 0;
        if (_reasoningFirst)
        {
            int end = generated.IndexOf(_thinkEnd);
            if (end < 0)
            {
                if (_mustCall) ForbidEndingOrCalling(logits);
                return;
            }
            answerStart = end + 1;
        }
        var answer = generated[answerStart..];
        if (_mustCall && ForcePrefix(answer, logits)) return;
        if (_singleCall)
        {
            int callEnd = answer.IndexOf(_callEnd);
            if (callEnd >= 0 && answer[(callEnd + 1)..].IndexOf(_sectionEnd) < 0) Only(logits, _sectionEnd);
        }
    }

    /// <summary>Allows only the next token of the openings the answer matches; false once the opening is
    /// complete.</summary>
    private bool ForcePrefix(ReadOnlySpan<int> answer, Span<float> logits)
    {
        var next = new HashSet<int>();
        foreach (var p in _prefixes)
            if (answer.Length < p.Length && p.AsSpan(0, answer.Length).SequenceEqual(answer))
                next.Add(p[answer.Length]);
        if (next.Count == 0) return false;
        for (int id = 0; id < logits.Length; id++)
            if (!next.Contains(id)) logits[id] = float.NegativeInfinity;
        return true;
    }

    private void ForbidEndingOrCalling(Span<float> logits)
    {
        foreach (int id in _stopIds) Forbid(logits, id);
        Forbid(logits, _sectionBegin);
        Forbid(logits, _callBegin);
    }

    private static void Only(Span<float> logits, int id)
    {
        for (int i = 0; i < logits.Length; i++)
            if (i != id) logits[i] = float.NegativeInfinity;
    }

    private static void Forbid(Span<float> logits, int id)
    {
        if ((uint)id < (uint)logits.Length) logits[id] = float.NegativeInfinity;
    }

    private static int Special(Tokenizer tokenizer, string marker) => tokenizer.TryGetSpecial(marker, out int id)
        ? id
        : -1;
}

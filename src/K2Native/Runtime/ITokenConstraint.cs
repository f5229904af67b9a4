// A per-request rule on which tokens may come next (tool_choice "none" masks the tool-call section, "required"
// forces a call after the reasoning, tests force a scripted answer). The engine calls it on its own thread
// right before sampling each token, with the ids generated so far; it lowers logits to -infinity to forbid them.
namespace K2Native.Runtime;

/// <summary>Restricts the next token of one generation. Called on the engine thread only, once per sampled
/// token.</summary>
public interface ITokenConstraint
{
    /// <summary>Sets the logits of forbidden tokens to negative infinity; must leave at least one token
    /// allowed.</summary>
    /// <param name="generated">The ids generated so far in this request (the prompt excluded).</param>
    /// <param name="logits">The next token's logits, vocabulary order.</param>
    void Apply(ReadOnlySpan<int> generated, Span<float> logits);
}

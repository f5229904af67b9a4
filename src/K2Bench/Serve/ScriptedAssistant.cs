// TEST ONLY: a token constraint that makes the real engine (on the bundled random model, which cannot call tools)
// emit a scripted token sequence, then <|im_end|>, so client tests can exercise tool calls end to end. The script
// depends on the conversation: after a tool result it answers in text, with tools it calls the first tool (K2's
// id numbering calls across the conversation), else it greets. Reasoning comes first, as K2 Thinking's does.
// Used by the C# server tests and by `k2 serve --scripted-test-model` (hidden; tests/openai-node).
using K2Native.Runtime;
using K2Native.Serving;
using K2Native.Text;

namespace K2Bench.Serve;

internal sealed class ScriptedAssistant(Tokenizer tokenizer)
{
    public const string Answer = "The weather in Paris is 21 degrees.";
    public const string Greeting = "Hello! How can I help?";
    public const string Reasoning = "The user wants something; I will think briefly.";

    /// <summary>The constraint for <paramref name="request"/>'s scripted answer.</summary>
    public ITokenConstraint For(ChatCompletionRequest request) => new Forced(tokenizer.Encode(Script(request)), End());

    public static string Script(ChatCompletionRequest request)
    {
        if (request.Messages[^1].Role == "tool") return $"<think>{Reasoning}</think>{Answer}";
        if (request.Tools is { Count: > 0 })
        {
            string id = ToolCallIds.Format(request.ToolNames[0], request.PreviousToolCalls);
            return $"<think>{Reasoning}</think><|tool_calls_section_begin|><|tool_call_begin|>{id}"
                + $"<|tool_call_argument_begin|>{{\"city\": \"Paris\"}}<|tool_call_end|><|tool_calls_section_end|>";
        }
        return $"<think>{Reasoning}</think>{Greeting}";
    }

    private int End() => tokenizer.TryGetSpecial("<|im_end|>", out int id)
        ? id
        : throw new InvalidOperationException("no <|im_end|> in the vocabulary");

    /// <summary>Allows only the script's next token, then only the end token.</summary>
    private sealed class Forced(int[] script, int end) : ITokenConstraint
    {
        public void Apply(ReadOnlySpan<int> generated, Span<float> logits)
        {
            int next = generated.Length < script.Length ? script[generated.Length] : end;
            for (int i = 0; i < logits.Length; i++)
                if (i != next) logits[i] = float.NegativeInfinity;
        }
    }
}

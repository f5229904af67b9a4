// One line of figures about a finished generation: tokens, speeds, and what the prefix cache saved.
using System.Globalization;
using K2Native.Runtime;

namespace K2Bench;

internal static class Stats
{
    public static string Describe(GenerationResult r, Engine engine) => string.Create(CultureInfo.InvariantCulture,
        $"[{Reason(r)}] prompt {r.PromptTokens} tokens ({r.ReusedPromptTokens} reused from cache), prefill "
        + $"{r.PrefillTokensPerSecond:F1} tok/s; " +
        $"generated {r.GeneratedTokens} tokens, decode {r.DecodeTokensPerSecond:F1} tok/s; " +
        $"cache {engine.Pool.InUse} of {engine.Pool.Blocks} blocks in use, {engine.Pool.Cached} cached, "
        + $"{engine.Pool.Hits} block hits");

    public static string Reason(GenerationResult r) => r.Reason switch
    {
        StopReason.EndOfSequence => "end of sequence",
        StopReason.StopString => "stop string",
        StopReason.MaxTokens => "max tokens",
        StopReason.ContextFull => "context full",
        StopReason.CacheFull => "KV cache full",
        StopReason.Cancelled => "cancelled",
        _ => r.Reason.ToString(),
    } + (r.Detail is null ? "" : ": " + r.Detail);
}

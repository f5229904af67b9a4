// The line of figures after every `k2 chat` turn, stopped ones too: why it ended, the prompt (and how much of it
// the prefix cache supplied), time to first token, prefill and decode speeds, the cache's occupancy.
using System.Globalization;
using K2Native.Runtime;

namespace K2Bench.Repl;

internal static class TurnStats
{
    public static string Line(GenerationResult? r, Engine engine, bool stopped)
    {
        if (r is null) return "[stopped before the prompt reached the engine]";
        string reason = stopped ? "stopped" : Stats.Reason(r);
        string firstToken = r.GeneratedTokens > 0
            ? $"first token {r.PrefillTime.TotalSeconds:F2} s"
            : $"no token after {r.PrefillTime.TotalSeconds:F2} s";
        return string.Create(CultureInfo.InvariantCulture,
            $"[{reason} · prompt {r.PromptTokens} tokens, {r.ReusedPromptTokens} reused, {firstToken}, prefill "
            + $"{r.PrefillTokensPerSecond:F0} tok/s · " +
            $"{r.GeneratedTokens} tokens at {r.DecodeTokensPerSecond:F1} tok/s · cache {engine.Pool.InUse} blocks in "
            + $"use, {engine.Pool.Cached} cached]");
    }
}

// Keeps a `k2 chat` conversation inside what one sequence may hold (the context, or the KV cache when it is
// smaller), leaving max_tokens free for the answer. When it outgrows that, the oldest whole turns go (a turn is
// a user message and every assistant and tool message after it); the system prompt and the tool declarations
// are never dropped, nor the turn being answered. The prefix cache still supplies the system prompt and tool
// declarations; the kept turns move to earlier positions, so they are computed once more at the next turn.
using K2Native.Text;

namespace K2Bench.Repl;

/// <summary>The outcome of fitting a conversation: its prompt size, what was dropped, or why it cannot fit.</summary>
internal sealed record ContextFit(
    int PromptTokens, int DroppedTurns, int DroppedMessages, int DroppedTokens, string? Refusal)
{
    public bool Fits => Refusal is null;
}

internal static class ContextWindow
{
    /// <summary>Drops the oldest turns of <paramref name="messages"/> until its prompt plus <paramref name="reserve"/>
    /// fits <paramref name="limit"/>.</summary>
    /// <param name="promptTokens">Tokens of the rendered prompt (system prompt, tools and the given messages).</param>
    /// <param name="limitName">How the limit is described in a refusal ("the context of 4096 tokens").</param>
    public static ContextFit Fit(
        List<ChatMessage> messages, Func<IReadOnlyList<ChatMessage>, int> promptTokens, int limit, int reserve,
        string limitName)
    {
        int tokens = promptTokens(messages);
        int before = tokens, turns = 0, dropped = 0;
        while (tokens + reserve > limit)
        {
            int next = messages.FindIndex(1, m => m.Role == "user");
            int current = messages.FindLastIndex(m => m.Role == "user");
            if (next < 0 || next > current || current <= 0)
                return new ContextFit(
                    tokens, turns, dropped, before - tokens,
                    Refuse(messages, promptTokens, tokens, limit, reserve, limitName));
            messages.RemoveRange(0, next);
            dropped += next;
            turns++;
            tokens = promptTokens(messages);
        }
        return new ContextFit(tokens, turns, dropped, before - tokens, null);
    }

    private static string Refuse(
        List<ChatMessage> messages, Func<IReadOnlyList<ChatMessage>, int> promptTokens, int tokens, int limit,
        int reserve, string limitName)
    {
        int fixedTokens = promptTokens([]);
        int room = limit - reserve - fixedTokens;
        bool onlyMessage = messages.Count == 1;
        string what = onlyMessage ? "the message" : "the current turn (the message, tool calls and results)";
        return $"{what} takes {tokens - fixedTokens} tokens, but {Math.Max(0, room)} fit: {limitName}, minus "
            + $"max_tokens {reserve} kept for the answer, " +
               $"minus {fixedTokens} for the system prompt, tool declarations and chat markup" +
               (room > 0 ? "" : "; /set max_tokens lower to make room");
    }
}

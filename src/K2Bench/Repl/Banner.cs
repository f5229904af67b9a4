// The first line of `k2 chat`: the checkpoint, backend and chat format, the context length in use and the KV
// cache's capacity, and, when those two differ, what that means for a conversation.
using System.Globalization;
using K2Native.Runtime;

namespace K2Bench.Repl;

internal static class Banner
{
    public static string Text(ModelHost host)
    {
        var e = host.Engine;
        int max = host.Model.Config.MaxPositionEmbeddings;
        string context = e.ContextLength == max
            ? $"context {e.ContextLength} tokens (the model's maximum)"
            : $"context {e.ContextLength} tokens (--context; the model allows {max})";
        string cache = string.Create(CultureInfo.InvariantCulture,
            $"KV cache {e.CacheTokens} tokens ({e.Options.KvCacheBytes >> 20} MiB of {e.Options.KvCacheDType} at "
            + $"{e.CacheBytesPerToken} bytes per token)");
        string why = e.CacheTokens < e.ContextLength
            ? $"; the cache is smaller than the context, so a conversation holds {e.SequenceLimit} tokens: "
                + $"--kv-cache-mb {e.CacheMebibytesFor(e.ContextLength)} fits the whole context"
            : e.CacheTokens > e.ContextLength
                ? "; the cache holds more than one context: the rest keeps earlier prefixes for reuse"
                : "";
        return $"K2Native chat · {host.Checkpoint.Directory} · {host.Model.Backend.Name} · {host.Template.Format} "
            + "format · /help for commands\n" +
               $"{context} · {cache}{why}";
    }
}

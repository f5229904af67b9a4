// Identity of a full KV block for prefix caching: a 64-bit hash chained over the token ids of every block up to
// and including it, so equal hashes mean (barring collisions, which KvBlockPool rules out by comparing tokens
// and the parent hash) equal prefixes. Mixing is splitmix64's finalizer over each id folded into the state.
namespace K2Native.Runtime;

/// <summary>Chained block hashes.</summary>
internal static class BlockHash
{
    /// <summary>Hash of the empty prefix (the parent of a sequence's first block).</summary>
    public const ulong Root = 0x9E3779B97F4A7C15UL;

    /// <summary>Hash of the prefix <paramref name="parent"/> extended by <paramref name="tokens"/>.</summary>
    public static ulong Next(ulong parent, ReadOnlySpan<int> tokens)
    {
        ulong h = Mix(parent ^ ((ulong)tokens.Length << 32));
        foreach (int token in tokens) h = Mix(h + (uint)token + 0x9E3779B97F4A7C15UL);
        return h;
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}

// Small in-memory tokenizers for unit tests: the 256 single bytes as ranks 0..255, then the given tokens in
// rank order, then the given special names.
using System.Text;
using K2Native.Text;

namespace K2Native.Tests.Text;

internal static class TestVocabulary
{
    public static Tokenizer Create(string[] merges, params string[] specials) =>
        new(
            Enumerable.Range(0, 256)
                .Select(b => new[] { (byte)b })
                .Concat(merges.Select(Encoding.UTF8.GetBytes))
                .ToList(),
            specials);

    /// <summary>A vocabulary with a few English merges and K2-style special names.</summary>
    public static Tokenizer English() => Create(
        [
            "he", "ll", "hell", "hello", " w", "or", " wor", "ld", " world", "aa", "aaaa", "aaaaaaaa", "ab", "abab",
            " <", "im", "  "
        ],
        "[BOS]", "[EOS]", "<|im_end|>", "<|im_user|>", "<think>", "</think>", "<|im", "<|im_end|>x");
}

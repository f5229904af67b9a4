// Writes generated tokens' log-probabilities in OpenAI's two shapes: chat completions' `logprobs.content[]`
// ({token, logprob, bytes, top_logprobs: [{token, logprob, bytes}]}) and legacy completions' `logprobs`
// ({tokens, token_logprobs, top_logprobs: [{token: logprob}], text_offset}). A token's text is its bytes decoded
// as UTF-8 on their own (a token holding part of a character shows U+FFFD; `bytes` has the truth); marker tokens
// show their names. The values are what the engine reports (TokenLogProbs: temperature 1 over the logits the
// sampler drew from).
using System.Text;
using System.Text.Json;
using K2Native.Runtime;
using K2Native.Text;

namespace K2Native.Serving;

/// <summary>Token log-probabilities as JSON.</summary>
public static class LogProbsJson
{
    /// <summary>Chat's <c>"logprobs": {"content": [...], "refusal": null}</c>, or <c>"logprobs": null</c> when not
    /// asked.</summary>
    public static void WriteChat(Utf8JsonWriter w, Tokenizer tokenizer, IReadOnlyList<TokenLogProbs>? tokens)
    {
        if (tokens is null)
        {
            w.WriteNull("logprobs");
            return;
        }
        w.WriteStartObject("logprobs");
        w.WriteStartArray("content");
        foreach (var t in tokens)
        {
            w.WriteStartObject();
            WriteToken(w, tokenizer, t.Sampled);
            w.WriteStartArray("top_logprobs");
            foreach (var alternative in t.Top)
            {
                w.WriteStartObject();
                WriteToken(w, tokenizer, alternative);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteNull("refusal");
        w.WriteEndObject();
    }

    /// <summary>The bytes of <paramref name="id"/> (none for an id the model has but the tokenizer does not).</summary>
    public static ReadOnlySpan<byte> Bytes(Tokenizer tokenizer, int id) => (uint)id < (uint)tokenizer.VocabSize
        ? tokenizer.TokenBytes(id)
        : [];

    public static string Text(Tokenizer tokenizer, int id) => Encoding.UTF8.GetString(Bytes(tokenizer, id));

    private static void WriteToken(Utf8JsonWriter w, Tokenizer tokenizer, TokenLogProb token)
    {
        w.WriteString("token", Text(tokenizer, token.TokenId));
        w.WriteNumber("logprob", token.LogProb);
        w.WriteStartArray("bytes");
        foreach (byte b in Bytes(tokenizer, token.TokenId)) w.WriteNumberValue(b);
        w.WriteEndArray();
    }
}

/// <summary>Legacy completions' logprobs for one completion, chunk by chunk: <c>text_offset</c> continues across
/// chunks.</summary>
public sealed class LegacyLogProbsWriter(Tokenizer tokenizer, int startOffset)
{
    private readonly Decoder _utf8 = Encoding.UTF8.GetDecoder();
    private char[] _chars = new char[16];
    private int _offset = startOffset;

    /// <summary><c>"logprobs": {...}</c> for <paramref name="tokens"/>, or <c>"logprobs": null</c> when not asked.
    /// A token's offset is the length (UTF-16) of the text before its first whole character.</summary>
    public void Write(Utf8JsonWriter w, IReadOnlyList<TokenLogProbs>? tokens)
    {
        if (tokens is null)
        {
            w.WriteNull("logprobs");
            return;
        }
        w.WriteStartObject("logprobs");
        w.WriteStartArray("tokens");
        foreach (var t in tokens) w.WriteStringValue(LogProbsJson.Text(tokenizer, t.Sampled.TokenId));
        w.WriteEndArray();
        w.WriteStartArray("token_logprobs");
        foreach (var t in tokens) w.WriteNumberValue(t.Sampled.LogProb);
        w.WriteEndArray();
        w.WriteStartArray("top_logprobs");
        foreach (var t in tokens) WriteTop(w, t);
        w.WriteEndArray();
        w.WriteStartArray("text_offset");
        foreach (var t in tokens)
        {
            w.WriteNumberValue(_offset);
            _offset += CharsOf(LogProbsJson.Bytes(tokenizer, t.Sampled.TokenId));
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>The alternatives as {token: logprob}, most likely first, plus the sampled token (OpenAI lists up to
    /// logprobs + 1).</summary>
    private void WriteTop(Utf8JsonWriter w, TokenLogProbs t)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        w.WriteStartObject();
        foreach (var entry in t.Top.Append(t.Sampled))
        {
            string text = LogProbsJson.Text(tokenizer, entry.TokenId);
            if (seen.Add(text)) w.WriteNumber(text, entry.LogProb);
        }
        w.WriteEndObject();
    }

    private int CharsOf(ReadOnlySpan<byte> bytes)
    {
        if (_chars.Length < bytes.Length + 2) _chars = new char[bytes.Length + 2];
        return _utf8.GetChars(bytes, _chars, flush: false);
    }
}

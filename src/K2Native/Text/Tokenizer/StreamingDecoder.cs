// Decodes token ids one at a time for streaming output. A token may end inside a UTF-8 character, so bytes
// that could still become a valid character are held back until the next token completes them; everything
// else is decoded at once with U+FFFD replacement. Concatenating every Push and the final Flush gives exactly
// Tokenizer.Decode of all the ids: the held bytes start with a lead byte, which a whole-text decoder also
// treats as the start of a new sequence, so cutting there changes nothing.
using System.Text;

namespace K2Native.Text;

/// <summary>Turns a stream of token ids into text without ever emitting half a character. Not thread-safe.</summary>
public sealed class StreamingDecoder
{
    private readonly Tokenizer _tokenizer;
    private byte[] _pending = new byte[64];
    private int _count;

    internal StreamingDecoder(Tokenizer tokenizer) => _tokenizer = tokenizer;

    /// <summary>Adds one token; returns the text it completes (possibly empty).</summary>
    public string Push(int id)
    {
        var bytes = _tokenizer.TokenBytes(id);
        if (_count + bytes.Length > _pending.Length)
            Array.Resize(ref _pending, Math.Max(_pending.Length * 2, _count + bytes.Length));
        bytes.CopyTo(_pending.AsSpan(_count));
        _count += bytes.Length;

        int ready = _count - IncompleteTail(_pending.AsSpan(0, _count));
        if (ready == 0) return "";
        string text = Encoding.UTF8.GetString(_pending, 0, ready);
        _pending.AsSpan(ready, _count - ready).CopyTo(_pending);
        _count -= ready;
        return text;
    }

    /// <summary>Ends the stream: held bytes that never became a character decode to U+FFFD.</summary>
    public string Flush()
    {
        string text = Encoding.UTF8.GetString(_pending, 0, _count);
        _count = 0;
        return text;
    }

    /// <summary>
    /// How many bytes at the end form a valid but unfinished UTF-8 sequence (0 to 3): a lead byte followed by
    /// fewer continuation bytes than it needs, each within the range that lead allows (no overlong forms,
    /// surrogates or code points above U+10FFFF, as in Unicode's table 3-7).
    /// </summary>
    internal static int IncompleteTail(ReadOnlySpan<byte> bytes)
    {
        for (int back = 1; back <= 3 && back <= bytes.Length; back++)
        {
            byte b = bytes[^back];
            if ((b & 0xC0) == 0x80) continue;
            int needed = b switch
            {
                >= 0xC2 and <= 0xDF => 2,
                >= 0xE0 and <= 0xEF => 3,
                >= 0xF0 and <= 0xF4 => 4,
                _ => 0
            };
            if (back >= needed) return 0;
            if (back >= 2)
            {
                byte second = bytes[^(back - 1)];
                var (low, high) = b switch
                {
                    0xE0 => (0xA0, 0xBF),
                    0xED => (0x80, 0x9F),
                    0xF0 => (0x90, 0xBF),
                    0xF4 => (0x80, 0x8F),
                    _ => (0x80, 0xBF)
                };
                if (second < low || second > high) return 0;
            }
            return back;
        }
        return 0;
    }
}

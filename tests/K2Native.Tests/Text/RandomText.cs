// Seeded adversarial text for the tokenizer's differential test: fragments of every Unicode general category,
// many scripts (Han, kana, Hangul, Arabic, Devanagari, Cyrillic, Greek, Thai...), combining marks, emoji with
// ZWJ, flags and skin tones, whitespace runs of every White_Space character (and look-alikes that are not),
// CRLF, digits of every kind, contractions in mixed case, special-token names whole and broken, code, lone
// surrogates and long runs, glued together at random so that every boundary between kinds occurs.
using System.Globalization;
using System.Text;

namespace K2Native.Tests.Text;

internal sealed class RandomText(int seed, IReadOnlyList<string> specialNames)
{
    private static readonly Lazy<int[][]> ByCategory = new(() =>
    {
        var lists = Enumerable.Range(0, 30).Select(_ => new List<int>()).ToArray();
        for (int cp = 0; cp <= 0x10FFFF; cp++)
            lists[
                (int)(
                    cp is >= 0xD800 and <= 0xDFFF
                        ? UnicodeCategory.Surrogate
                        : CharUnicodeInfo.GetUnicodeCategory(cp))].Add(cp);
        return lists.Select(l => l.ToArray()).ToArray();
    });

    private static readonly (int First, int Last)[] Scripts =
    [
        ('a', 'z'), ('A', 'Z'), (0xC0, 0x24F), (0x370, 0x3FF), (0x400, 0x4FF), (0x530, 0x58F), (0x590, 0x5FF),
        (0x600, 0x6FF), (0x900, 0x97F), (0x980, 0x9FF), (0xE00, 0xE7F), (0x10A0, 0x10FF), (0x1100, 0x11FF),
        (0x3040, 0x309F), (0x30A0, 0x30FF), (0x3000, 0x303F), (0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0xAC00, 0xD7A3),
        (0xF900, 0xFAFF), (0xFF00, 0xFFEF), (0x20000, 0x2A6DF), (0x2E80, 0x2FDF), (0x16FE0, 0x16FFF), (0x1D400, 0x1D7FF),
    ];

    private static readonly string[] WhiteSpace =
    [
        " ", " ", " ", "\t", "\v", "\f", "\r", "\n", "\n", "\r\n", "\r\n", "\u0085", "\u00A0", "\u1680", "\u2000", "\u2003",
        "\u200A", "\u2028", "\u2029", "\u202F", "\u205F", "\u3000", "\u200B", "\u180E", "\u001C", "\u001F", "\uFEFF",
    ];

    private static readonly string[] Numbers =
    [
        "0123456789", "٠١٢٣٤٥٦٧٨٩", "۰۱۲۳۴۵۶۷۸۹", "०१२३४५६७८९", "０１２３４５６７８９", "½⅓¼⅕⅞", "²³¹⁴", "ⅠⅡⅢⅫⅯ", "①②③⑳", "〇〡〢", "𝟎𝟏𝟐", "𐄇𐄈",
    ];

    private static readonly string[] Emoji =
    [
        "😀", "🚀", "👍🏽", "👩‍💻", "👨‍👩‍👧‍👦", "🇫🇷", "🇯🇵🇺🇸", "🏳️‍🌈", "❤️", "1️⃣", "#️⃣", "🧑🏿‍🦰", "✌🏻", "🫠", "☕", "©️", "🏴󠁧󠁢󠁳󠁣󠁴󠁿",
    ];

    private static readonly string[] Words =
    [
        "the", "Hello", "WORLD", "don't", "I'm", "they'RE", "we'Ve", "it'S", "you'LL", "he'd", "She'D", "can't", "ſ", "'s", "'t",
        "'re", "'ve", "'m", "'ll", "'d", "'S", "'LL", "'x", "’s", "o'clock", "rock'n'roll", "naïve", "Ünïcödé", "ǅemal", "ǈ", "ꟲ",
        "ʰʲ", "ⅷ", "İstanbul", "ǂxam", "café", "e\u0301", "A\u0308\u0301", "\u0301\u0302", "x\u20DD", "ﬁ", "ß", "ΣΊΣΥΦΟΣ",
        "fn", "main", "let x = 1;", "if (a && b) { return; }", "#include <stdio.h>", "def f(x):\n    return x", "a->b", "i++",
        "x+=1", "$HOME", "@user", "#tag", "https://example.com/a?b=c", "foo_bar", "camelCase", "HTTPServer", "__init__",
        "...", "!!!", "?!", "---", "***", "<>", "</div>", "<|", "|>", "<|im", "[BOS", "[EOS]x", "<think", "</think", "\"quoted\"",
    ];

    private readonly Random _random = new(seed);

    /// <summary>One text of up to <paramref name="maxFragments"/> fragments.</summary>
    public string Next(int maxFragments)
    {
        var text = new StringBuilder();
        int fragments = 1 + _random.Next(maxFragments);
        for (int i = 0; i < fragments; i++) AppendFragment(text);
        return text.ToString();
    }

    private void AppendFragment(StringBuilder text)
    {
        switch (_random.Next(16))
        {
            case 0:
                // Any general category, lone surrogates included.
                var pool = ByCategory.Value[_random.Next(30)];
                for (int n = 1 + _random.Next(4); n > 0; n--)
                {
                    int cp = pool[_random.Next(pool.Length)];
                    if (cp is >= 0xD800 and <= 0xDFFF) text.Append((char)cp);
                    else text.Append(char.ConvertFromUtf32(cp));
                }
                break;
            case 1 or 2:
                var (first, last) = Scripts[_random.Next(Scripts.Length)];
                for (int n = 1 + _random.Next(12); n > 0; n--)
                    AppendCodePoint(text, first + _random.Next(last - first + 1));
                break;
            case 3 or 4:
                for (int n = 1 + _random.Next(6); n > 0; n--) text.Append(WhiteSpace[_random.Next(WhiteSpace.Length)]);
                break;
            case 5:
                var digits = Numbers[_random.Next(Numbers.Length)];
                var runes = digits.EnumerateRunes().ToArray();
                for (int n = 1 + _random.Next(8); n > 0; n--) text.Append(runes[_random.Next(runes.Length)].ToString());
                break;
            case 6:
                text.Append(Emoji[_random.Next(Emoji.Length)]);
                break;
            case 7 or 8 or 9:
                text.Append(RandomCase(Words[_random.Next(Words.Length)]));
                break;
            case 10:
                if (specialNames.Count > 0)
                {
                    var name = specialNames[_random.Next(specialNames.Count)];
                    text.Append(_random.Next(4) == 0 ? name[..(1 + _random.Next(name.Length - 1))] : name);
                }
                break;
            case 11:
                // Combining marks after whatever came before (letters, spaces, digits, Han, nothing).
                for (int n = 1 + _random.Next(3); n > 0; n--)
                    AppendCodePoint(
                        text, _random.Next(4) == 0 ? 0x20D0 + _random.Next(0x21) : 0x300 + _random.Next(0x70));
                break;
            case 12:
                // A long run of one character or one short string.
                string unit = _random.Next(3) switch
                {
                    0 => " ",
                    1 => Words[_random.Next(Words.Length)],
                    _ => char.ConvertFromUtf32(Scripts[_random.Next(Scripts.Length)].First + _random.Next(20)),
                };
                for (int n = 20 + _random.Next(400); n > 0; n--) text.Append(unit);
                break;
            case 13:
                text.Append(_random.Next(2) == 0 ? "\r\n" : "\n").Append(' ', _random.Next(9));
                break;
            case 14:
                AppendCodePoint(text, "'\"`~!@#$%^&*()-_=+[]{};:,.<>/?\\|".ToCharArray()[_random.Next(32)]);
                break;
            default:
                for (int n = 1 + _random.Next(10); n > 0; n--)
                    AppendCodePoint(text, (_random.Next(2) == 0 ? 'a' : 'A') + _random.Next(26));
                break;
        }
    }

    private string RandomCase(string word)
    {
        if (_random.Next(3) != 0) return word;
        var chars = word.ToCharArray();
        for (int i = 0; i < chars.Length; i++)
            chars[i] = _random.Next(2) == 0 ? char.ToUpperInvariant(chars[i]) : char.ToLowerInvariant(chars[i]);
        return new string(chars);
    }

    private static void AppendCodePoint(StringBuilder text, int cp)
    {
        if (cp is >= 0xD800 and <= 0xDFFF) text.Append((char)cp);
        else text.Append(char.ConvertFromUtf32(cp));
    }
}

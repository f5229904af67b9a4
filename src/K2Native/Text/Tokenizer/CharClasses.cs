// The Unicode classes K2's pre-tokenizer regex tests, one flag set per code point. General categories come
// from .NET (Unicode 16.0 in .NET 10: the same tables as the Rust regex crate in tiktoken 1.0.22, checked
// code point by code point in TiktokenClassTests), Han from HanScript, `\s` is Unicode White_Space.
using System.Globalization;
using System.Text;

namespace K2Native.Text;

[Flags]
internal enum CharClass : byte
{
    None = 0,
    /// <summary>\p{Han}</summary>
    Han = 1,
    /// <summary>\p{L}</summary>
    Letter = 2,
    /// <summary>\p{N}</summary>
    Number = 4,
    /// <summary>\s (White_Space)</summary>
    Space = 8,
    /// <summary>[\r\n]</summary>
    LineBreak = 16,
    /// <summary>[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}&amp;&amp;[^\p{Han}]]</summary>
    UpperLike = 32,
    /// <summary>[\p{Ll}\p{Lm}\p{Lo}\p{M}&amp;&amp;[^\p{Han}]]</summary>
    LowerLike = 64,
}

internal static class CharClasses
{
    private static readonly CharClass[] Bmp = BuildBmp();

    /// <summary>The class of a lone surrogate: tiktoken sees U+FFFD there (its UTF-8 conversion replaces it).</summary>
    public static CharClass Replacement => Bmp[0xFFFD];

    public static CharClass Of(int codePoint) => codePoint < 0x10000 ? Bmp[codePoint] : Compute(codePoint);

    public static CharClass OfBmp(char c) => Bmp[c];

    /// <summary>The class of the code point starting at <paramref name="index"/>; a lone surrogate counts as
    /// U+FFFD.</summary>
    public static CharClass At(ReadOnlySpan<char> text, int index, out int length)
    {
        char c = text[index];
        if (!char.IsSurrogate(c))
        {
            length = 1;
            return Bmp[c];
        }
        if (char.IsHighSurrogate(c) && index + 1 < text.Length && char.IsLowSurrogate(text[index + 1]))
        {
            length = 2;
            return Compute(char.ConvertToUtf32(c, text[index + 1]));
        }
        length = 1;
        return Replacement;
    }

    internal static CharClass Compute(int codePoint)
    {
        var result = CharClass.None;
        bool han = HanScript.Contains(codePoint);
        if (han) result |= CharClass.Han;
        if (IsWhiteSpace(codePoint)) result |= CharClass.Space;
        if (codePoint is '\r' or '\n') result |= CharClass.LineBreak;
        switch (Rune.GetUnicodeCategory(new Rune(codePoint)))
        {
            case UnicodeCategory.UppercaseLetter or UnicodeCategory.TitlecaseLetter:
                result |= CharClass.Letter | (han ? 0 : CharClass.UpperLike);
                break;
            case UnicodeCategory.LowercaseLetter:
                result |= CharClass.Letter | (han ? 0 : CharClass.LowerLike);
                break;
            case UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter:
                result |= CharClass.Letter | (han ? 0 : CharClass.UpperLike | CharClass.LowerLike);
                break;
            case UnicodeCategory.NonSpacingMark
                or UnicodeCategory.SpacingCombiningMark
                or UnicodeCategory.EnclosingMark:
                result |= han ? 0 : CharClass.UpperLike | CharClass.LowerLike;
                break;
            case UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber:
                result |= CharClass.Number;
                break;
        }
        return result;
    }

    // Unicode's White_Space property (stable since Unicode 6.3 dropped U+180E); not .NET's char.IsWhiteSpace.
    private static bool IsWhiteSpace(int c) =>
        c is >= 0x09 and <= 0x0D or 0x20 or 0x85 or 0xA0 or 0x1680 or >= 0x2000 and <= 0x200A
            or 0x2028 or 0x2029 or 0x202F or 0x205F or 0x3000;

    private static CharClass[] BuildBmp()
    {
        var table = new CharClass[0x10000];
        for (int c = 0; c < table.Length; c++)
            if (c is < 0xD800 or > 0xDFFF) table[c] = Compute(c);
        return table;
    }
}

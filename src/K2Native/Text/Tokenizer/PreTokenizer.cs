// K2's pre-tokenizer: splits text into the pieces that tiktoken's regex (K2-SPEC section 4) finds, by hand,
// because .NET's Regex has neither class intersection nor \p{Han}. The eight alternatives, tried in order
// at each position (every position starts a match, so the pieces tile the text):
//   1 [\p{Han}]+
//   2 [^\r\n\p{L}\p{N}]?  Upper* Lower+  Contraction?      Upper = [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}&&[^\p{Han}]]
//   3 [^\r\n\p{L}\p{N}]?  Upper+ Lower*  Contraction?      Lower = [\p{Ll}\p{Lm}\p{Lo}\p{M}&&[^\p{Han}]]
//   4 \p{N}{1,3}                                            Contraction = (?i:'s|'t|'re|'ve|'m|'ll|'d)
//   5  ?[^\s\p{L}\p{N}]+[\r\n]*
//   6 \s*[\r\n]+
//   7 \s+(?!\S)
//   8 \s+
// Backtracking is resolved in closed form (see each method), so splitting is linear in the text length.
// Lengths and positions are in UTF-16 chars; a lone surrogate is one char classed as U+FFFD.
namespace K2Native.Text;

internal static class PreTokenizer
{
    private const CharClass NotPrefix = CharClass.LineBreak | CharClass.Letter | CharClass.Number;
    private const CharClass NotSymbol = CharClass.Space | CharClass.Letter | CharClass.Number;

    /// <summary>The end (exclusive) of the piece that starts at <paramref name="start"/>.</summary>
    public static int PieceEnd(ReadOnlySpan<char> text, int start)
    {
        var first = CharClasses.At(text, start, out int firstLength);
        if ((first & CharClass.Han) != 0) return RunOfAny(text, start, CharClass.Han);

        bool prefixed = (first & NotPrefix) == 0 && start + firstLength < text.Length;
        bool wordStart = (first & (CharClass.UpperLike | CharClass.LowerLike)) != 0;
        if (prefixed || wordStart)
        {
            int end;
            if (prefixed && (end = Word(text, start + firstLength, lowerRequired: true)) >= 0) return end;
            if (wordStart && (end = Word(text, start, lowerRequired: true)) >= 0) return end;
            if (prefixed && (end = Word(text, start + firstLength, lowerRequired: false)) >= 0) return end;
            if (wordStart && (end = Word(text, start, lowerRequired: false)) >= 0) return end;
        }

        if ((first & CharClass.Number) != 0)
        {
            int end = start + firstLength;
            for (int count = 1; count < 3 && end < text.Length; count++)
            {
                if ((CharClasses.At(text, end, out int length) & CharClass.Number) == 0) break;
                end += length;
            }
            return end;
        }

        if (text[start] == ' ' && start + 1 < text.Length && (CharClasses.At(text, start + 1, out _) & NotSymbol) == 0)
            return LineBreakRun(text, RunOfNone(text, start + 1, NotSymbol));
        if ((first & NotSymbol) == 0)
            return LineBreakRun(text, RunOfNone(text, start, NotSymbol));

        return WhiteSpace(text, start);
    }

    // Alternatives 2 (lowerRequired) and 3 after the optional prefix. Upper and Lower overlap (Lm, Lo, M),
    // so for alternative 2 the greedy Upper* gives back characters until one of them can start Lower+:
    // the match ends after the last Upper character that is also Lower, unless a Lower run follows the
    // whole Upper run. Returns -1 when the alternative does not match at p.
    private static int Word(ReadOnlySpan<char> text, int p, bool lowerRequired)
    {
        int upperEnd = p, lastLowerEnd = -1;
        while (upperEnd < text.Length)
        {
            var c = CharClasses.At(text, upperEnd, out int length);
            if ((c & CharClass.UpperLike) == 0) break;
            upperEnd += length;
            if ((c & CharClass.LowerLike) != 0) lastLowerEnd = upperEnd;
        }
        if (!lowerRequired && upperEnd == p) return -1;

        int end;
        if (upperEnd < text.Length && (CharClasses.At(text, upperEnd, out _) & CharClass.LowerLike) != 0)
            end = RunOfAny(text, upperEnd, CharClass.LowerLike);
        else if (!lowerRequired) end = upperEnd;
        else if (lastLowerEnd >= 0) end = lastLowerEnd;
        else return -1;
        return end + ContractionLength(text, end);
    }

    // (?i:'s|'t|'re|'ve|'m|'ll|'d) with an ASCII apostrophe; Unicode case folding makes U+017F (long s) an 's'.
    private static int ContractionLength(ReadOnlySpan<char> text, int at)
    {
        if (at + 1 >= text.Length || text[at] != '\'') return 0;
        switch (text[at + 1])
        {
            case 's' or 'S' or '\u017F' or 't' or 'T' or 'm' or 'M' or 'd' or 'D':
                return 2;
            case 'r' or 'R' or 'v' or 'V':
                return at + 2 < text.Length && text[at + 2] is 'e' or 'E' ? 3 : 0;
            case 'l' or 'L':
                return at + 2 < text.Length && text[at + 2] is 'l' or 'L' ? 3 : 0;
            default:
                return 0;
        }
    }

    // Alternatives 6-8 on a whitespace run: up to and including its last \r or \n (6); else the whole run
    // when it ends the text, or all but its last character so that it can prefix the next piece (7);
    // else the single whitespace character (8). All White_Space characters are in the BMP.
    private static int WhiteSpace(ReadOnlySpan<char> text, int start)
    {
        int end = start, lastLineBreakEnd = -1;
        while (end < text.Length && !char.IsSurrogate(text[end])
            && (CharClasses.OfBmp(text[end]) & CharClass.Space) != 0)
        {
            if (text[end] is '\r' or '\n') lastLineBreakEnd = end + 1;
            end++;
        }
        if (lastLineBreakEnd >= 0) return lastLineBreakEnd;
        if (end == text.Length || end - start == 1) return end;
        return end - 1;
    }

    private static int LineBreakRun(ReadOnlySpan<char> text, int p)
    {
        while (p < text.Length && text[p] is '\r' or '\n') p++;
        return p;
    }

    private static int RunOfAny(ReadOnlySpan<char> text, int p, CharClass mask)
    {
        while (p < text.Length)
        {
            if ((CharClasses.At(text, p, out int length) & mask) == 0) break;
            p += length;
        }
        return p;
    }

    private static int RunOfNone(ReadOnlySpan<char> text, int p, CharClass mask)
    {
        while (p < text.Length)
        {
            if ((CharClasses.At(text, p, out int length) & mask) != 0) break;
            p += length;
        }
        return p;
    }
}

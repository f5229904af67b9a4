// Parses token id lists given on the command line ("1 2 3" or "1,2,3").
namespace K2Bench;

internal static class TokenList
{
    public static int[] Parse(string text, string option, int vocabSize)
    {
        var parts = text.Split([' ', ',', '\t', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0) throw new ArgumentException($"{option}: no token ids given");
        var ids = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(
                    parts[i],
                    System.Globalization.NumberStyles.None,
                    System.Globalization.CultureInfo.InvariantCulture,
                    out ids[i]))
                throw new ArgumentException($"{option}: '{parts[i]}' (item {i}) is not a token id");
            if (ids[i] >= vocabSize)
                throw new ArgumentException(
                    $"{option}: token id {ids[i]} (item {i}) is outside the vocabulary [0, {vocabSize})");
        }
        return ids;
    }
}

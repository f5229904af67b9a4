// K2's tool-call ids: "functions.NAME:IDX", NAME the function (which may itself contain dots or colons: the
// index is after the last colon), IDX a decimal counter the model keeps across the conversation.
using System.Globalization;

namespace K2Native.Text;

/// <summary>Reads and writes <c>functions.NAME:IDX</c> tool-call ids.</summary>
internal static class ToolCallIds
{
    private const string Prefix = "functions.";

    public static string Format(string name, int index) => $"{Prefix}{name}:{index}";

    /// <summary>
    /// Splits an id into the function name and the index; false when it is not of that form, or when it holds marker
    /// text ("&lt;|", &lt;think&gt;, &lt;/think&gt;), which re-rendering the call would put into the next prompt as a
    /// marker.
    /// </summary>
    public static bool TryParse(string id, out string name, out int index)
    {
        name = "";
        index = -1;
        if (HasMarkerText(id)) return false;
        int colon = id.LastIndexOf(':');
        if (!id.StartsWith(Prefix, StringComparison.Ordinal) || colon <= Prefix.Length || colon == id.Length - 1)
            return false;
        var digits = id.AsSpan(colon + 1);
        if (digits.ContainsAnyExceptInRange('0', '9')
            || !int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out index))
            return false;
        name = id[Prefix.Length..colon];
        return true;
    }

    /// <summary>True when <paramref name="text"/> holds the opening of a special-token marker or a reasoning
    /// tag.</summary>
    public static bool HasMarkerText(string text) =>
        text.Contains("<|", StringComparison.Ordinal)
        || text.Contains(K2Markers.ThinkBegin, StringComparison.Ordinal)
        || text.Contains(K2Markers.ThinkEnd, StringComparison.Ordinal);
}

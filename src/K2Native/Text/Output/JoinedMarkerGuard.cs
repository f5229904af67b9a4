// Keeps one channel of parsed output (reasoning, content, or one call's arguments) free of marker text when its
// deltas are joined. A delta never holds a whole marker, but when the parser drops a stray marker the text on its
// two sides meets: "<think" + (stray "<think>") + ">" would show "<think>". This remembers the channel's last
// characters and drops any character that would complete a marker begun in them; it sees the channel's text
// character by character whatever the deltas' boundaries, so chunked and whole parsing agree.
using System.Text;

namespace K2Native.Text;

internal sealed class JoinedMarkerGuard
{
    private readonly string[] _markers;
    private readonly int _window;          // longest marker length - 1: how far back a marker can start
    private readonly StringBuilder _tail = new();

    public JoinedMarkerGuard(string[] markers)
    {
        _markers = markers;
        _window = markers.Max(m => m.Length) - 1;
    }

    /// <summary><paramref name="text"/> without the characters that would complete a marker across the join.</summary>
    public string Pass(string text)
    {
        if (text.Length == 0) return text;
        StringBuilder? kept = null;        // allocated only when a character is dropped
        int i = 0, keptAcrossJoin = 0;
        for (; i < text.Length && keptAcrossJoin < _window; i++)
        {
            _tail.Append(text[i]);
            if (EndsWithMarker())
            {
                _tail.Length--;
                kept ??= new StringBuilder(text, 0, i, text.Length);
                continue;
            }
            kept?.Append(text[i]);
            keptAcrossJoin++;
        }
        if (kept is null && i == text.Length) { Trim(); return text; }
        string rest = text[i..];
        _tail.Append(rest);
        Trim();
        return kept is null ? text : kept.Append(rest).ToString();
    }

    private bool EndsWithMarker()
    {
        foreach (string m in _markers)
        {
            if (_tail.Length < m.Length) continue;
            bool same = true;
            for (int k = 0; k < m.Length && same; k++) same = _tail[_tail.Length - m.Length + k] == m[k];
            if (same) return true;
        }
        return false;
    }

    private void Trim()
    {
        if (_tail.Length > _window) _tail.Remove(0, _tail.Length - _window);
    }
}

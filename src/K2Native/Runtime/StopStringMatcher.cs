// Stop strings over streamed text: text is released as soon as it can no longer be the start of a stop
// string, and generation stops at the first complete match, whose text (and anything after it) is dropped,
// as OpenAI's `stop` does.
namespace K2Native.Runtime;

/// <summary>Watches a text stream for stop strings. One per sequence.</summary>
internal sealed class StopStringMatcher
{
    private readonly string[] _stops;
    private string _pending = "";

    public StopStringMatcher(IEnumerable<string> stops)
    {
        _stops = stops.ToArray();
        if (_stops.Any(string.IsNullOrEmpty)) throw new ArgumentException("a stop string must not be empty");
    }

    /// <summary>True once a stop string has been seen.</summary>
    public bool Stopped { get; private set; }

    /// <summary>Adds <paramref name="delta"/>; returns the text that is now safe to show (up to a stop string, if one
    /// completed).</summary>
    public string Push(string delta)
    {
        if (Stopped) return "";
        if (_stops.Length == 0) return delta;
        string text = _pending + delta;
        int cut = -1;
        foreach (var stop in _stops)
        {
            int at = text.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && (cut < 0 || at < cut)) cut = at;
        }
        if (cut >= 0)
        {
            Stopped = true;
            _pending = "";
            return text[..cut];
        }
        int hold = 0;
        foreach (var stop in _stops)
            for (int k = Math.Min(stop.Length - 1, text.Length); k > hold; k--)
                if (text.AsSpan(text.Length - k).SequenceEqual(stop.AsSpan(0, k))) { hold = k; break; }
        _pending = text[^hold..];
        return text[..^hold];
    }

    /// <summary>Releases held-back text at the end of the stream.</summary>
    public string Flush()
    {
        string rest = Stopped ? "" : _pending;
        _pending = "";
        return rest;
    }
}

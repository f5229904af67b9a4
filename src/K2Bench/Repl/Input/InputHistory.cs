// The messages typed in `k2 chat`, newest last, for Up/Down recall: kept for the session and, when a file is
// given, loaded at start and appended to after each entry (one JSON string per line, so multi-line messages
// survive), trimmed to the last Capacity entries. A history file that cannot be read or written is reported
// once and the session goes on without it.
using System.Text;
using System.Text.Json;

namespace K2Bench.Repl.Input;

internal sealed class InputHistory
{
    public const int Capacity = 1000;

    private readonly List<string> _entries = [];
    private readonly string? _path;

    /// <summary>A history kept only in memory.</summary>
    public InputHistory()
    {
    }

    /// <summary>A history saved in <paramref name="path"/> (created on the first entry).</summary>
    public InputHistory(string path)
    {
        _path = path;
        if (!File.Exists(path)) return;
        foreach (string line in File.ReadLines(path))
        {
            try
            {
                if (JsonSerializer.Deserialize<string>(line) is { Length: > 0 } entry) _entries.Add(entry);
            }
            catch (JsonException)
            {
                Problem ??= $"{path}: skipped a line that is not a JSON string";
            }
        }
        if (_entries.Count > Capacity) _entries.RemoveRange(0, _entries.Count - Capacity);
    }

    public IReadOnlyList<string> Entries => _entries;

    /// <summary>Where the history is saved; null when it is kept in memory only.</summary>
    public string? Path => _path;

    /// <summary>The first problem met reading or writing the file, if any.</summary>
    public string? Problem { get; private set; }

    /// <summary>Adds an entry (not a blank one, nor a repeat of the last one) and appends it to the file.</summary>
    public void Add(string entry)
    {
        if (string.IsNullOrWhiteSpace(entry) || (_entries.Count > 0 && _entries[^1] == entry)) return;
        _entries.Add(entry);
        if (_path is null) return;
        try
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(_path))!);
            if (_entries.Count > Capacity)
            {
                _entries.RemoveRange(0, _entries.Count - Capacity);
                File.WriteAllLines(_path, _entries.Select(e => JsonSerializer.Serialize(e)), new UTF8Encoding(false));
            }
            else
            {
                File.AppendAllText(_path, JsonSerializer.Serialize(entry) + "\n", new UTF8Encoding(false));
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Problem ??= $"{_path}: {e.Message}";
        }
    }
}

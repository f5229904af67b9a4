// The one exception the demo model's files raise for bad input (demo_tools.json, a tasks JSONL): the message names
// the file, the line for JSONL, and the JSON path of the bad field, so a broken checkpoint or task file is fixed
// at the right place.
namespace K2Native.Applications.Tools.Demo;

/// <summary>A demo tools file or a tasks file is malformed; <see cref="Field"/> says where.</summary>
internal sealed class DemoFormatException : FormatException
{
    public DemoFormatException(string file, int? line, string field, string problem)
        : base(Compose(file, line, field, problem))
    {
        File = file;
        Line = line;
        Field = field;
        Problem = problem;
    }

    /// <summary>The file (or the name a stream was given).</summary>
    public string File { get; }

    /// <summary>The 1-based line of a JSONL file; null for a whole-file JSON document.</summary>
    public int? Line { get; }

    /// <summary>The JSON path of the bad value, e.g. <c>units.km.factor</c> ("" for the whole document or
    /// line).</summary>
    public string Field { get; }

    public string Problem { get; }

    private static string Compose(string file, int? line, string field, string problem)
    {
        string where = line is { } n ? $"{file}:{n}" : file;
        return field.Length == 0 ? $"{where}: {problem}" : $"{where}: {field}: {problem}";
    }
}

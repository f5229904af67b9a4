// The one exception the chat layer throws for bad input: a conversation, tool list or chat template that is not
// what the K2 format needs. The message names the file (when there is one) and the JSON path of the bad value.
namespace K2Native.Text;

/// <summary>A conversation or chat template is malformed; <see cref="JsonPath"/> says where.</summary>
public sealed class ChatFormatException : FormatException
{
    public ChatFormatException(string jsonPath, string problem) : this(null, jsonPath, problem) { }

    private ChatFormatException(string? file, string jsonPath, string problem)
        : base(Compose(file, jsonPath, problem))
    {
        File = file;
        JsonPath = jsonPath;
        Problem = problem;
    }

    /// <summary>The file the value came from, when it came from one.</summary>
    public string? File { get; }

    /// <summary>Where the bad value is, e.g. <c>messages[3].tool_calls[0].function.name</c> ("" for the whole
    /// document).</summary>
    public string JsonPath { get; }

    /// <summary>What is wrong with it.</summary>
    public string Problem { get; }

    internal ChatFormatException InFile(string file) => new(file, JsonPath, Problem);

    private static string Compose(string? file, string jsonPath, string problem)
    {
        string where = (file, jsonPath) switch
        {
            (null, "") => "",
            (null, _) => jsonPath + ": ",
            (_, "") => file + ": ",
            _ => $"{file}: {jsonPath}: ",
        };
        return where + problem;
    }
}

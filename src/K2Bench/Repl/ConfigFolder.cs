// Where `k2 chat` keeps what outlives a session: the input history and the autosaved conversations, under
// $K2_CONFIG_HOME when set, else $XDG_CONFIG_HOME/k2, else the user's application-data folder + /k2
// (~/.config/k2 on Linux, %APPDATA%\k2 on Windows).
namespace K2Bench.Repl;

internal sealed class ConfigFolder(string path)
{
    public string Path => path;

    /// <summary>The input history of `k2 chat` (one JSON string per line).</summary>
    public string HistoryFile => System.IO.Path.Combine(path, "chat_history.jsonl");

    /// <summary>The folder of autosaved conversations.</summary>
    public string ConversationFolder => System.IO.Path.Combine(path, "conversations");

    /// <summary>A new autosave file, named by the local time the session started.</summary>
    public string NewConversationFile(DateTime started) =>
        System.IO.Path.Combine(ConversationFolder, $"chat-{started:yyyyMMdd-HHmmss}.json");

    public static ConfigFolder ForUser()
    {
        string? own = Environment.GetEnvironmentVariable("K2_CONFIG_HOME");
        if (!string.IsNullOrEmpty(own)) return new ConfigFolder(own);
        string? xdg = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME");
        string root = !string.IsNullOrEmpty(xdg)
            ? xdg
            : Environment.GetFolderPath(
                Environment.SpecialFolder.ApplicationData, Environment.SpecialFolderOption.DoNotVerify);
        return new ConfigFolder(System.IO.Path.Combine(root, "k2"));
    }
}

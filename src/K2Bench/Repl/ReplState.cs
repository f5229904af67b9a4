// What a `k2 chat` session remembers: the conversation, the system prompt, the tools offered to the model
// (declared from a file, and built-in ones the REPL runs itself, in the order they were added: a demo checkpoint's
// tools must be declared in demo_tools.json's order), sampling settings, display choices, totals.
using System.Text.Json.Nodes;
using K2Native.Applications.Tools;
using K2Native.Applications.Tools.Demo;
using K2Native.Runtime;
using K2Native.Text;

namespace K2Bench.Repl;

internal sealed class ReplState
{
    public List<ChatMessage> Messages { get; } = [];

    /// <summary>Replaces the template's default system prompt when set.</summary>
    public string? SystemPrompt { get; set; }

    /// <summary>Tools declared by the user (OpenAI schema); calls to them are answered by the user.</summary>
    public JsonArray DeclaredTools { get; set; } = [];

    /// <summary>Tools the REPL runs itself when the model calls them, in the order they are declared.</summary>
    public OrderedDictionary<string, BuiltinTool> Builtins { get; } = new(StringComparer.Ordinal);

    /// <summary>The checkpoint's demo tools (from its demo_tools.json), when it has them.</summary>
    public DemoToolSet? DemoTools { get; init; }

    public SamplingParams Sampling { get; set; } = GenerationPreset.K2Thinking.Sampling;

    public int MaxTokens { get; set; } = GenerationPreset.K2Thinking.MaxTokens;

    public bool ShowReasoning { get; set; } = true;

    public int MaxToolRounds { get; set; } = 8;

    /// <summary>Generations run (tool rounds count one each), stopped ones included.</summary>
    public int Turns { get; private set; }

    /// <summary>Generations stopped with Ctrl+C.</summary>
    public int StoppedTurns { get; private set; }

    public long GeneratedTokens { get; private set; }

    public TimeSpan DecodeTime { get; private set; }

    /// <summary>Adds a generation's figures to the totals (null: stopped before it reached the engine).</summary>
    public void Count(GenerationResult? result, bool stopped)
    {
        Turns++;
        if (stopped) StoppedTurns++;
        if (result is null) return;
        GeneratedTokens += result.GeneratedTokens;
        DecodeTime += result.DecodeTime;
    }

    /// <summary>The messages the template renders: the system prompt first, when one is set.</summary>
    public List<ChatMessage> Conversation() => Conversation(Messages);

    /// <summary>The system prompt (when set) followed by <paramref name="messages"/>.</summary>
    public List<ChatMessage> Conversation(IReadOnlyList<ChatMessage> messages) =>
        SystemPrompt is null ? [.. messages] : [ChatMessage.System(SystemPrompt), .. messages];

    /// <summary>The session as /save writes it: the messages with the system prompt, and the declared tools.</summary>
    public Conversation ToConversation() =>
        new() { Messages = Conversation(), Tools = DeclaredTools.Count > 0 ? DeclaredTools.DeepClone() : null };

    /// <summary>Declared and built-in tools as one OpenAI tool list; null when there are none.</summary>
    public JsonArray? Tools()
    {
        if (DeclaredTools.Count == 0 && Builtins.Count == 0) return null;
        var all = new JsonArray();
        foreach (var t in DeclaredTools) all.Add(t?.DeepClone());
        foreach (var b in Builtins.Values) all.Add(b.Declaration());
        return all;
    }

    /// <summary>Names of the declared tools.</summary>
    public IEnumerable<string> DeclaredNames() =>
        DeclaredTools.Select(t => t?["function"]?["name"]?.GetValue<string>() ?? "?");
}

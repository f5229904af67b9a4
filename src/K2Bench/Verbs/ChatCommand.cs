// `k2 chat`: an interactive conversation with a checkpoint (the bundled one by default). Shows a progress bar
// while the model loads, then runs the REPL (Repl/ChatRepl.cs): on a terminal with the line editor, history in
// the config folder and an autosaved conversation; with piped input, a line per message as before. A checkpoint
// with a demo_tools.json (the trained demo model) starts with its four tools declared, run by the REPL itself.
// Problems with the options or the files they name stop it before the REPL starts (exit code 1).
using CommandLine;
using CommandLine.Text;
using K2Bench.Repl;
using K2Bench.Repl.Input;
using K2Native.Applications.Tools.Demo;
using K2Native.Runtime;
using Spectre.Console;

namespace K2Bench.Verbs;

[Verb("chat", HelpText = "Chat with a model in a REPL: streamed answers, reasoning shown dimmed, tool calls, slash "
    + "commands (/help).")]
internal sealed class ChatCommand : SamplingArguments, ICommand
{
    [Option("system", HelpText = "System prompt (default: the chat template's).")]
    public string? System { get; set; }

    [Option("tools", HelpText = "JSON file with an OpenAI tool list to offer the model; you answer its calls.")]
    public string? Tools { get; set; }

    [Option("builtin-tools", HelpText = "Offer the built-in calculator and current_time tools, which the REPL runs "
        + "itself.")]
    public bool BuiltinTools { get; set; }

    [Option("load", HelpText = "Start from a conversation saved with /save (or autosaved).")]
    public string? Load { get; set; }

    [Option("hide-reasoning", HelpText = "Do not show the model's reasoning (/reasoning on shows it).")]
    public bool HideReasoning { get; set; }

    [Option("no-demo-tools", HelpText = "Do not offer the tools of the checkpoint's demo_tools.json (offered by "
        + "default when it has one).")]
    public bool NoDemoTools { get; set; }

    [Option("max-tool-rounds", Default = 8, HelpText = "Most tool rounds per user message.")]
    public int MaxToolRounds { get; set; }

    [Option("no-history", HelpText = "On a terminal, neither read nor write the input history and autosaved "
        + "conversations in the config folder.")]
    public bool NoHistory { get; set; }

    [Usage(ApplicationAlias = "k2")]
    public static IEnumerable<Example> Examples =>
    [
        new("Chat with the bundled model", CommandLineText.ExampleStyle, new ChatCommand()),
        new(
            "Chat with a checkpoint and a system prompt", CommandLineText.ExampleStyle,
            new ChatCommand { Model = "models/my-k2", System = "Answer briefly." }),
        new(
            "Go on with an autosaved conversation", CommandLineText.ExampleStyle,
            new ChatCommand { Load = "~/.config/k2/conversations/chat-20250101-120000.json" }),
    ];

    public int Run()
    {
        var preset = Preset();
        int toolRounds = SlashCommands.ToolRounds(MaxToolRounds);
        var console = ReplConsole.Create();
        var output = new ReplOutput(console);
        using var host = OpenWithProgress();
        int maxTokens = SlashCommands.MaxTokens(preset.MaxTokens, host.Engine);
        var demoFile = DemoToolSet.FindIn(host.Checkpoint.Directory);
        var state = new ReplState
        {
            Sampling = preset.Sampling,
            MaxTokens = maxTokens,
            ShowReasoning = !HideReasoning,
            MaxToolRounds = toolRounds,
            SystemPrompt = System,
            DemoTools = demoFile is null ? null : DemoToolSet.Load(demoFile),
        };
        var commands = new SlashCommands(host, state, output);
        if (Load is not null) Startup("--load", () => commands.Load(Load));
        if (Tools is not null) Startup("--tools", () => commands.DeclareToolFile(Tools));
        if (state.DemoTools is { } demo && !NoDemoTools)
        {
            commands.OfferDemoTools();
            output.Note(
                $"[demo tools from {DemoToolSet.FileName}: {string.Join(", ", demo.ToolNames)}; they run here, "
                + "built-in; /tools off removes them]\n");
        }
        if (BuiltinTools) commands.OfferBuiltinTools();
        output.Note(Banner.Text(host) + "\n");

        bool terminal = !Console.IsInputRedirected && !Console.IsOutputRedirected;
        var config = ConfigFolder.ForUser();
        IReplInput input = terminal
            ? new EditorInput(
                new LineEditor(
                    new TerminalKeySource(), Console.Out,
                    NoHistory ? new InputHistory() : new InputHistory(config.HistoryFile)))
            : new PipedInput(Console.In, output);
        string? autosave = terminal && !NoHistory ? config.NewConversationFile(DateTime.Now) : null;
        if (terminal)
            output.Note(
                NoHistory
                    ? "[--no-history: nothing is saved]\n"
                    : $"[history in {config.HistoryFile}; this conversation is saved as {autosave}]\n");
        var repl = new ChatRepl(host, state, output, input, terminal ? () => new PrefillSpinner(Console.Out) : null)
        {
            AutosaveFile = autosave
        };
        ConsoleCancelEventHandler stop = (_, e) => e.Cancel = repl.Interrupt() || terminal;
        Console.CancelKeyPress += stop;
        try
        {
            return repl.Run();
        }
        finally
        {
            Console.CancelKeyPress -= stop;
        }

        static void Startup(string option, Action action)
        {
            try
            {
                action();
            }
            catch (Exception e) when (e is IOException
                or FormatException
                or ArgumentException
                or UnauthorizedAccessException)
            {
                throw new ArgumentException($"{option} {e.Message}", e);
            }
        }

        ModelHost OpenWithProgress()
        {
            if (!console.Profile.Capabilities.Interactive) return Open();
            ModelHost? opened = null;
            console.Progress().AutoClear(true).Start(ctx =>
            {
                var task = ctx.AddTask("loading model");
                opened = Open((done, total) =>
                {
                    task.MaxValue = total;
                    task.Value = done;
                });
            });
            return opened!;
        }
    }
}

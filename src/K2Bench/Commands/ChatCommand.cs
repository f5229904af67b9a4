// `k2 chat`: an interactive conversation with a checkpoint (the bundled one by default). Shows a progress bar
// while the model loads, then runs the REPL (Chat/ChatRepl.cs); works with piped input too. A checkpoint with a
// demo_tools.json (the trained demo model) starts with its four tools declared, run by the REPL itself.
using CommandLine;
using K2Bench.Chat;
using K2Native.Applications.Tools.Demo;
using K2Native.Runtime;
using Spectre.Console;

namespace K2Bench.Commands;

[Verb("chat", HelpText = "Chat with a model in a REPL: streamed answers, reasoning shown dimmed, tool calls, slash commands (/help).")]
internal sealed class ChatCommand : SamplingArguments, ICommand
{
    [Option("system", HelpText = "System prompt (default: the chat template's).")]
    public string? System { get; set; }

    [Option("tools", HelpText = "JSON file with an OpenAI tool list to offer the model; you answer its calls.")]
    public string? Tools { get; set; }

    [Option("builtin-tools", HelpText = "Offer the built-in calculator and current_time tools, which the REPL runs itself.")]
    public bool BuiltinTools { get; set; }

    [Option("load", HelpText = "Start from a conversation saved with /save.")]
    public string? Load { get; set; }

    [Option("hide-reasoning", HelpText = "Do not show the model's reasoning (/reasoning on shows it).")]
    public bool HideReasoning { get; set; }

    [Option("no-demo-tools", HelpText = "Do not offer the tools of the checkpoint's demo_tools.json (offered by default when it has one).")]
    public bool NoDemoTools { get; set; }

    [Option("max-tool-rounds", Default = 8, HelpText = "Most tool rounds per user message.")]
    public int MaxToolRounds { get; set; }

    public int Run()
    {
        var sampling = Sampling();
        var console = ReplConsole.Create();
        var output = new ReplOutput(console);
        using var host = OpenWithProgress();
        var demoFile = DemoToolSet.FindIn(host.Checkpoint.Directory);
        var state = new ReplState
        {
            Sampling = sampling,
            MaxTokens = MaxTokens,
            ShowReasoning = !HideReasoning,
            MaxToolRounds = Math.Max(0, MaxToolRounds),
            SystemPrompt = System,
            DemoTools = demoFile is null ? null : DemoToolSet.Load(demoFile),
        };
        var commands = new SlashCommands(host, state, output);
        if (Load is not null) commands.Handle("/load " + Load);
        if (Tools is not null) commands.Handle("/tools " + Tools);
        if (state.DemoTools is { } demo && !NoDemoTools)
        {
            commands.Handle("/tools demo");
            output.Note($"[demo tools from {DemoToolSet.FileName}: {string.Join(", ", demo.ToolNames)}; they run here, built-in; /tools off removes them]\n");
        }
        if (BuiltinTools) commands.Handle("/tools builtin");
        output.Note($"K2Native chat · {host.Checkpoint.Directory} · {host.Model.Backend.Name} · {host.Template.Format} format · " +
                    $"KV cache {host.Engine.CacheTokens} tokens · /help for commands\n");
        return new ChatRepl(host, state, output, global::System.Console.In).Run();

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

// `k2 template`: renders a conversation file ({ "messages", "tools", "add_generation_prompt" }) into the K2 prompt
// text and writes it to stdout exactly: UTF-8 bytes, no byte order mark, no trailing newline, whatever the console.
using System.Text;
using CommandLine;
using K2Native.Text;

namespace K2Bench.Verbs;

[Verb("template", HelpText = "Render a conversation JSON file ({\"messages\", \"tools\", \"add_generation_prompt\"}) "
    + "into the model's prompt text, written to stdout exactly.")]
internal sealed class TemplateCommand : ICommand
{
    [Option("file", Required = true, HelpText = "Conversation JSON file: { \"messages\": [...], \"tools\": [...], "
        + "\"add_generation_prompt\": true|false (default true) }.")]
    public string File { get; set; } = "";

    [Option("model", HelpText = "Checkpoint directory whose chat format to use (default: the bundled checkpoint).")]
    public string? Model { get; set; }

    [Option("format", HelpText = "Chat format, overriding the checkpoint's: thinking or instruct.")]
    public ChatFormat? Format { get; set; }

    public int Run()
    {
        using var stdout = Console.OpenStandardOutput();
        return Run(stdout);
    }

    internal int Run(Stream output)
    {
        var conversation = Conversation.Load(File);
        var template = Format is { } format
            ? ChatTemplate.For(format)
            : ChatTemplate.ForCheckpoint(ModelPaths.Resolve(Model));
        output.Write(Encoding.UTF8.GetBytes(template.Render(conversation)));
        output.Flush();
        return 0;
    }
}

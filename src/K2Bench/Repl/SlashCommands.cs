// The REPL's slash commands: help, reset, system prompt, sampling settings, reasoning display, save/load of the
// conversation as JSON, tools (declared from a file or built in), cache and speed statistics, quit.
using System.Globalization;
using System.Text.Json.Nodes;
using K2Native.Applications.Tools;
using K2Native.Applications.Tools.Demo;
using K2Native.Runtime;
using K2Native.Text;

namespace K2Bench.Repl;

internal sealed class SlashCommands(ModelHost host, ReplState state, ReplOutput output)
{
    public const string Help = """"
        /help                  this list
        /reset                 forget the conversation (system prompt, tools, settings and /stats totals stay)
        /system [TEXT]         show or set the system prompt (/system - restores the default)
        /set [NAME VALUE]      show or change: temperature, top_p, top_k, min_p, seed, max_tokens, tool_rounds
                               (max_tokens must leave room for a prompt in the context)
        /reasoning on|off      show or hide the model's reasoning
        /save FILE             write the conversation (messages and tools) as JSON
        /load FILE             read a conversation written by /save (or any {"messages", "tools"} file)
        /tools                 list the tools offered to the model
        /tools FILE            declare tools from a JSON file (an OpenAI tool list); you answer their calls
        /tools builtin         offer the built-in calculator and current_time, which run here
        /tools demo            offer the demo tools of the checkpoint's demo_tools.json, which run here
                               (calculator, convert_units, current_date, lookup; on from the start when it has one)
        /tools off             offer no tools
        /stats                 speed and KV cache figures (stopped turns included)
        /quit                  leave (so do Ctrl+D, a second Ctrl+C on an empty line, and the end of input)
        Ctrl+C stops an answer while it is generated and clears the line at the prompt.
        A line ending in \ continues on the next; a block between lines of """ is one message; so is a pasted block.
        Up/Down recall earlier messages; Home/End, Ctrl+A/E, Ctrl+U/K/W edit the line.
        """";

    /// <summary>Runs a command line starting with '/'; false means quit.</summary>
    public bool Handle(string line)
    {
        string name = line.Split(' ', 2)[0].ToLowerInvariant();
        string rest = line.Length > name.Length ? line[(name.Length + 1)..].Trim() : "";
        try
        {
            switch (name)
            {
                case "/quit" or "/exit" or "/q":
                    return false;
                case "/help" or "/?":
                    output.Note(Help + "\n");
                    break;
                case "/reset":
                    int messages = state.Messages.Count;
                    state.Messages.Clear();
                    output.Note(
                        $"[conversation cleared ({messages} messages); the system prompt, tools, settings and the "
                        + "/stats totals stay]\n");
                    break;
                case "/system":
                    System(rest);
                    break;
                case "/set":
                    Set(rest);
                    break;
                case "/reasoning":
                    state.ShowReasoning = OnOff(rest, state.ShowReasoning);
                    output.Note($"[reasoning {(state.ShowReasoning ? "shown" : "hidden")}]\n");
                    break;
                case "/save":
                    Save(rest);
                    break;
                case "/load":
                    Load(rest);
                    break;
                case "/tools":
                    Tools(rest);
                    break;
                case "/stats":
                    Statistics();
                    break;
                default:
                    output.Error($"unknown command {name}; /help lists them\n");
                    break;
            }
        }
        catch (Exception e) when (e is ArgumentException
            or FormatException
            or IOException
            or UnauthorizedAccessException
            or InvalidOperationException)
        {
            output.Error($"{name}: {e.Message}\n");
        }
        return true;
    }

    private void System(string text)
    {
        if (text.Length == 0)
        {
            output.Note(
                $"[system prompt: "
                + $"{state.SystemPrompt ?? host.Template.DefaultSystemPrompt + " (the template's default)"}]\n");
            return;
        }
        state.SystemPrompt = text == "-" ? null : text;
        output.Note($"[system prompt {(state.SystemPrompt is null ? "restored to the default" : "set")}]\n");
    }

    private void Set(string text)
    {
        var parts = text.Split(' ', 2, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 2)
        {
            string v = parts[1];
            var s = state.Sampling;
            switch (parts[0].ToLowerInvariant().Replace('-', '_'))
            {
                case "temperature": s = s with { Temperature = Float(v) }; break;
                case "top_p": s = s with { TopP = Float(v) }; break;
                case "top_k": s = s with { TopK = Int(v) }; break;
                case "min_p": s = s with { MinP = Float(v) }; break;
                case "seed":
                    s = s with { Seed = v is "none" or "random" ? null : ulong.Parse(v, CultureInfo.InvariantCulture) };
                    break;
                case "max_tokens": state.MaxTokens = MaxTokens(Int(v), host.Engine); break;
                case "tool_rounds": state.MaxToolRounds = ToolRounds(Int(v)); break;
                default:
                    throw new ArgumentException(
                        $"unknown setting '{parts[0]}' "
                        + "(temperature, top_p, top_k, min_p, seed, max_tokens, tool_rounds)");
            }
            s.Validate();
            state.Sampling = s;
        }
        else if (parts.Length == 1)
        {
            throw new ArgumentException($"give a value: /set {parts[0]} VALUE");
        }
        output.Note($"[{state.Sampling}, max_tokens {state.MaxTokens}, tool_rounds {state.MaxToolRounds}]\n");
    }

    private void Save(string path)
    {
        if (path.Length == 0) throw new ArgumentException("give a file name: /save FILE");
        state.ToConversation().Save(path);
        output.Note($"[saved {state.Messages.Count} messages to {path}]\n");
    }

    /// <summary>Replaces the session's conversation with a saved one; throws naming the file when it cannot.</summary>
    public void Load(string path)
    {
        if (path.Length == 0) throw new ArgumentException("give a file name: /load FILE");
        if (!File.Exists(path)) throw new IOException($"{path}: file not found");
        var conversation = Conversation.Load(path);
        var messages = conversation.Messages.ToList();
        state.SystemPrompt = null;
        if (messages.Count > 0 && messages[0].Role == "system")
        {
            state.SystemPrompt = messages[0].Content?.PlainText ?? "";
            messages.RemoveAt(0);
        }
        state.Messages.Clear();
        state.Messages.AddRange(messages);
        state.DeclaredTools = conversation.Tools is JsonArray tools ? (JsonArray)tools.DeepClone() : [];
        output.Note($"[loaded {messages.Count} messages and {state.DeclaredTools.Count} tools from {path}]\n");
    }

    /// <summary>/tools ARG: off, builtin, demo, a file, or nothing (list them).</summary>
    private void Tools(string arg)
    {
        switch (arg)
        {
            case "": ListTools(); break;
            case "off": ClearTools(); break;
            case "builtin": OfferBuiltinTools(); break;
            case "demo": OfferDemoTools(); break;
            default: DeclareToolFile(arg); break;
        }
    }

    /// <summary>
    /// Declares the OpenAI tool list in <paramref name="path"/> (the user answers the calls); throws naming the file
    /// when it cannot.
    /// </summary>
    public void DeclareToolFile(string path)
    {
        state.DeclaredTools = ToolFile.Load(path);
        ListTools();
    }

    /// <summary>Offers the built-in calculator and current_time, which the REPL runs itself.</summary>
    public void OfferBuiltinTools()
    {
        foreach (var tool in new BuiltinTool[] { new CalculatorTool(), new ClockTool() })
            state.Builtins[tool.Name] = tool;
        ListTools();
    }

    /// <summary>Offers the checkpoint's demo tools; throws when it has no demo_tools.json.</summary>
    public void OfferDemoTools()
    {
        var demo = state.DemoTools
            ?? throw new InvalidOperationException($"{host.Checkpoint.Directory} has no {DemoToolSet.FileName}");
        foreach (var tool in demo.CreateTools(TimeProvider.System)) state.Builtins[tool.Name] = tool;
        ListTools();
    }

    private void ClearTools()
    {
        state.DeclaredTools = [];
        state.Builtins.Clear();
        ListTools();
    }

    private void ListTools()
    {
        var names = state.DeclaredNames().Concat(state.Builtins.Keys.Select(n => n + " (built-in)")).ToList();
        output.Note(names.Count == 0 ? "[no tools]\n" : $"[tools: {string.Join(", ", names)}]\n");
    }

    private void Statistics()
    {
        var e = host.Engine;
        var p = e.Pool;
        double decode = state.DecodeTime > TimeSpan.Zero ? state.GeneratedTokens / state.DecodeTime.TotalSeconds : 0;
        output.Note(string.Create(CultureInfo.InvariantCulture,
            $"""
            [turns {state.Turns} ({state.StoppedTurns} stopped with Ctrl+C), generated {state.GeneratedTokens} tokens, decode {decode:F1} tok/s
             context {e.ContextLength} tokens; a conversation may hold {e.SequenceLimit}, max_tokens {state.MaxTokens} of them kept for the answer
             prompt tokens computed {e.ComputedPromptTokens}, reused from the prefix cache {e.ReusedPromptTokens}
             KV cache: {p.Blocks} blocks of {p.BlockSize} tokens ({e.CacheTokens} tokens, {e.Options.KvCacheDType}), {p.InUse} in use, {p.Cached} cached, {p.Hits} block hits, {p.Evictions} evictions
             model {host.Checkpoint.Directory}, {host.Model.Backend.Name} backend, {host.Template.Format} chat format]

            """));
    }

    private static bool OnOff(string v, bool current) => v switch
    {
        "on" => true,
        "off" => false,
        "" => !current,
        _ => throw new ArgumentException($"expected on or off, got '{v}'"),
    };

    private static float Float(string v) =>
        float.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out float f)
            ? f
            : throw new FormatException($"'{v}' is not a number");

    private static int Int(string v) =>
        int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out int i)
            ? i
            : throw new FormatException($"'{v}' is not an integer");

    /// <summary>max_tokens, refused unless at least one prompt token still fits beside it.</summary>
    public static int MaxTokens(int v, Engine engine)
    {
        GenerationPreset.CheckMaxTokens(v);
        if (v >= engine.SequenceLimit)
            throw new ArgumentException(
                $"max_tokens {v} leaves no room for a prompt: a conversation holds {engine.SequenceLimit} tokens "
                + (engine.SequenceLimit < engine.ContextLength
                    ? $"(the KV cache; the context is {engine.ContextLength})"
                    : "(the context)")
                + $", so at most {engine.SequenceLimit - 1}");
        return v;
    }

    public static int ToolRounds(int v) =>
        v >= 0 ? v : throw new ArgumentException($"tool_rounds {v} must be 0 or more");
}

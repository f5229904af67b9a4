// `k2 generate`: continues a prompt (raw text, a chat message, or token ids) and streams the text to stdout;
// with --print-ids only the generated ids, on one line; with --json one JSON object at the end, for scripts.
// With --chat the prompt is a user message (after --system) in the checkpoint's chat template, and the output
// is parsed: the answer goes to stdout, the reasoning nowhere unless --show-reasoning (then to stderr), tool
// calls as `→ NAME ARGUMENTS` lines. Timing and cache figures go to stderr. A KV cache too small for the prompt
// is an error naming --kv-cache-mb and the size that would fit; so is one that filled while generating.
using System.Text.Json;
using CommandLine;
using CommandLine.Text;
using K2Native.Runtime;
using K2Native.Text;

namespace K2Bench.Verbs;

[Verb("generate", HelpText = "Generate from a prompt (--prompt raw text, --chat to wrap it as a user message, or "
    + "--tokens ids), streaming the text.")]
internal sealed class GenerateCommand : SamplingArguments, ICommand
{
    [Option("prompt", SetName = "text", HelpText = "Prompt text, tokenized as is (special-token strings become special "
        + "ids).")]
    public string? Prompt { get; set; }

    [Option("tokens", SetName = "ids", HelpText = "Prompt token ids, separated by spaces or commas.")]
    public string? Tokens { get; set; }

    [Option("chat", HelpText = "Wrap --prompt in the checkpoint's chat template as a user message; print the answer "
        + "only (reasoning: --show-reasoning).")]
    public bool Chat { get; set; }

    [Option("system", HelpText = "With --chat: the system prompt (default: the chat template's).")]
    public string? System { get; set; }

    [Option("show-reasoning", HelpText = "With --chat: write the model's reasoning to stderr.")]
    public bool ShowReasoning { get; set; }

    [Option("json", HelpText = "Print one JSON object at the end: text (or content, reasoning and tool calls with "
        + "--chat), token ids, finish reason and figures.")]
    public bool Json { get; set; }

    [Option("print-ids", HelpText = "Print only the generated token ids, space-separated, on one line.")]
    public bool PrintIds { get; set; }

    [Usage(ApplicationAlias = "k2")]
    public static IEnumerable<Example> Examples =>
    [
        new(
            "Continue raw text greedily", CommandLineText.ExampleStyle,
            new GenerateCommand { Prompt = "The capital of France is", Temperature = 0.01f, MaxTokens = 32 }),
        new(
            "Ask a question through the chat template, answer only", CommandLineText.ExampleStyle,
            new GenerateCommand { Prompt = "What is 17 * 23?", Chat = true }),
        new(
            "The same for a script: one JSON object", CommandLineText.ExampleStyle,
            new GenerateCommand { Prompt = "What is 17 * 23?", Chat = true, Json = true }),
    ];

    public int Run()
    {
        if (Prompt is null == Tokens is null) throw new UsageException("give exactly one of --prompt and --tokens");
        if (Chat && Prompt is null) throw new UsageException("--chat wraps --prompt; it cannot be used with --tokens");
        if (!Chat && (System is not null || ShowReasoning))
            throw new UsageException($"{(System is not null ? "--system" : "--show-reasoning")} needs --chat");
        if (Json && PrintIds) throw new UsageException("--json and --print-ids cannot be used together");
        var preset = Preset();
        using var host = Open();
        var stdout = ConsoleText.Stdout();
        return Chat ? RunChat(host, preset, stdout) : RunRaw(host, preset, stdout);
    }

    private int RunRaw(ModelHost host, GenerationPreset preset, TextWriter stdout)
    {
        int[] prompt = Tokens is not null
            ? TokenList.Parse(Tokens, "--tokens", host.Model.Config.VocabSize)
            : host.Tokenizer.Encode(Prompt!);
        CheckCache(host.Engine, prompt.Length, preset.MaxTokens);
        var request = new GenerationRequest
        {
            PromptTokens = prompt,
            Sampling = preset.Sampling,
            MaxTokens = preset.MaxTokens,
            StopStrings = Stop.ToArray()
        };
        var ids = new List<int>();
        var text = new System.Text.StringBuilder();
        GenerationResult? result = null;
        foreach (var update in host.Engine.GenerateAsync(request).ToBlockingEnumerable())
        {
            if (update.TokenId >= 0) ids.Add(update.TokenId);
            text.Append(update.Text);
            if (!PrintIds && !Json && update.Text.Length > 0)
            {
                stdout.Write(update.Text);
                stdout.Flush();
            }
            result = update.Result ?? result;
        }
        if (Json) WriteJson(stdout, result!, w => w.WriteString("text", text.ToString()), ids);
        else if (PrintIds) stdout.Write(string.Join(' ', ids));
        stdout.WriteLine();
        stdout.Flush();
        return Finish(host.Engine, result!, preset.MaxTokens);
    }

    private int RunChat(ModelHost host, GenerationPreset preset, TextWriter stdout)
    {
        List<ChatMessage> messages = System is null
            ? [ChatMessage.User(Prompt!)]
            : [ChatMessage.System(System), ChatMessage.User(Prompt!)];
        var turn = new ChatTurn(host.Engine, host.Template, messages, null,
            new ChatSettings
            {
                Sampling = preset.Sampling,
                MaxTokens = preset.MaxTokens,
                StopStrings = Stop.ToArray()
            });
        CheckCache(host.Engine, turn.PromptTokens.Length, preset.MaxTokens);
        foreach (var e in turn.StreamAsync().ToBlockingEnumerable())
        {
            if (Json) continue;
            switch (e)
            {
                case ContentDelta c:
                    stdout.Write(c.Text);
                    stdout.Flush();
                    break;
                case ReasoningDelta r when ShowReasoning:
                    Console.Error.Write(r.Text);
                    break;
                case ToolCallCompleted t:
                    stdout.WriteLine($"\n→ {t.Call.Function.Name} {t.Call.Function.Arguments.ToPromptText()}");
                    break;
            }
        }
        var message = turn.Message!;
        if (Json)
        {
            WriteJson(stdout, turn.Result!, w =>
            {
                w.WriteString("content", message.Content?.PlainText ?? "");
                w.WriteString("reasoning", message.ReasoningContent);
                w.WriteStartArray("tool_calls");
                foreach (var call in message.ToolCalls ?? [])
                {
                    w.WriteStartObject();
                    w.WriteString("id", call.Id);
                    w.WriteString("name", call.Function.Name);
                    w.WriteString("arguments", call.Function.Arguments.ToPromptText());
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }, null);
        }
        else if (ShowReasoning && message.ReasoningContent is not null)
        {
            Console.Error.WriteLine();
        }
        stdout.WriteLine();
        stdout.Flush();
        return Finish(host.Engine, turn.Result!, preset.MaxTokens);
    }

    /// <summary>Refuses a prompt the KV cache cannot hold, naming the --kv-cache-mb that would.</summary>
    private void CheckCache(Engine engine, int promptTokens, int maxTokens)
    {
        if (promptTokens < engine.CacheTokens) return;
        throw new ArgumentException($"the prompt has {promptTokens} tokens but the KV cache holds {engine.CacheTokens} "
            + $"(--kv-cache-mb {KvCacheMb}); "
            + $"--kv-cache-mb "
            + $"{engine.CacheMebibytesFor(Math.Min(promptTokens + (long)maxTokens, engine.ContextLength))} "
            + $"holds the prompt and --max-tokens {maxTokens}");
    }

    /// <summary>Figures to stderr; exit code 1 when the KV cache filled before the end.</summary>
    private int Finish(Engine engine, GenerationResult result, int maxTokens)
    {
        Console.Error.WriteLine(Stats.Describe(result, engine));
        if (result.Reason != StopReason.CacheFull) return 0;
        long wanted = Math.Min(result.PromptTokens + (long)maxTokens, engine.ContextLength);
        Console.Error.WriteLine($"k2: error: the KV cache ({engine.CacheTokens} tokens, --kv-cache-mb {KvCacheMb}) "
            + $"filled after {result.GeneratedTokens} of --max-tokens {maxTokens}; " +
                                $"--kv-cache-mb {engine.CacheMebibytesFor(wanted)} holds {wanted} tokens");
        return 1;
    }

    private static void WriteJson(TextWriter stdout, GenerationResult r, Action<Utf8JsonWriter> body, List<int>? ids)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(
            buffer,
            new JsonWriterOptions
            {
                Indented = true,
                Encoder = global::System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping
            }))
        {
            w.WriteStartObject();
            body(w);
            if (ids is not null)
            {
                w.WriteStartArray("token_ids");
                foreach (int id in ids) w.WriteNumberValue(id);
                w.WriteEndArray();
            }
            w.WriteString("finish_reason", Stats.Reason(r));
            w.WriteNumber("prompt_tokens", r.PromptTokens);
            w.WriteNumber("reused_prompt_tokens", r.ReusedPromptTokens);
            w.WriteNumber("generated_tokens", r.GeneratedTokens);
            w.WriteNumber("time_to_first_token_s", Math.Round(r.PrefillTime.TotalSeconds, 4));
            w.WriteNumber("prefill_tokens_per_s", Math.Round(r.PrefillTokensPerSecond, 1));
            w.WriteNumber("decode_tokens_per_s", Math.Round(r.DecodeTokensPerSecond, 1));
            w.WriteEndObject();
        }
        stdout.Write(global::System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
    }
}

// One assistant turn of a chat, for library users: renders the conversation with the chat template, generates,
// and streams the parsed events of the text layer (reasoning, content, tool calls, malformed stretches, finish).
// The assistant message the events fold into, and the generation's figures, are there when the stream ends; if
// the caller cancels, the stream throws OperationCanceledException and PartialMessage holds what came so far.
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using K2Native.Text;

namespace K2Native.Runtime;

/// <summary>Settings of a chat turn besides the conversation.</summary>
public sealed record ChatSettings
{
    public SamplingParams Sampling { get; init; } = GenerationPreset.K2Thinking.Sampling;

    public int MaxTokens { get; init; } = GenerationPreset.K2Thinking.MaxTokens;

    public IReadOnlyList<string> StopStrings { get; init; } = [];

    /// <summary>Sees (prompt tokens done, prompt tokens) during prefill, on the engine thread.</summary>
    public Action<int, int>? PrefillProgress { get; init; }
}

/// <summary>Generates the assistant's answer to a conversation.</summary>
public sealed class ChatTurn
{
    private readonly Engine _engine;
    private readonly ChatTemplate _template;
    private readonly AssistantMessageBuilder _builder = new();

    public ChatTurn(
        Engine engine, ChatTemplate template, IReadOnlyList<ChatMessage> messages, JsonNode? tools,
        ChatSettings? settings = null)
    {
        _engine = engine;
        _template = template;
        Settings = settings ?? new ChatSettings();
        Prompt = template.Render(messages, tools, addGenerationPrompt: true);
        PromptTokens = engine.Tokenizer.Encode(Prompt);
    }

    public ChatSettings Settings { get; }

    /// <summary>The rendered prompt text.</summary>
    public string Prompt { get; }

    public int[] PromptTokens { get; }

    /// <summary>The generation's figures, once the stream has ended (after a cancellation: those of the part that
    /// ran).</summary>
    public GenerationResult? Result { get; private set; }

    /// <summary>The assistant message, once the stream has ended.</summary>
    public ChatMessage? Message { get; private set; }

    /// <summary>What the events so far fold into (after a cancellation: the answer up to that point).</summary>
    public ChatMessage PartialMessage => _builder.ToMessage();

    /// <summary>Problems found in the output (arguments that are not JSON, stray markers...), raw text kept.</summary>
    public IReadOnlyList<MalformedOutput> Problems => _builder.Problems;

    /// <summary>Generates and streams the parsed output. Enumerate once.</summary>
    public async IAsyncEnumerable<OutputEvent> StreamAsync(
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var request = new GenerationRequest
        {
            PromptTokens = PromptTokens,
            Sampling = Settings.Sampling,
            MaxTokens = Settings.MaxTokens,
            StopStrings = Settings.StopStrings,
            PrefillProgress = Settings.PrefillProgress,
        };
        var parser = _template.CreateOutputParser();
        var events = new List<OutputEvent>();
        await using var updates = _engine.GenerateAsync(request, cancellationToken).GetAsyncEnumerator(
            cancellationToken);
        while (true)
        {
            try
            {
                if (!await updates.MoveNextAsync().ConfigureAwait(false)) break;
            }
            catch (GenerationCancelledException e)
            {
                Result = e.Partial;
                throw;
            }
            var update = updates.Current;
            events.Clear();
            if (update.Text.Length > 0) parser.Push(update.Text, events);
            if (update.Result is { } result)
            {
                Result = result;
                parser.Finish(FinishReasonOf(result.Reason), events);
            }
            foreach (var e in events)
            {
                _builder.Apply(e);
                yield return e;
            }
        }
        Message = _builder.ToMessage();
    }

    /// <summary>The text layer's finish reason for an engine stop reason.</summary>
    public static FinishReason FinishReasonOf(StopReason reason) => reason switch
    {
        StopReason.EndOfSequence or StopReason.StopString => FinishReason.Stop,
        StopReason.MaxTokens or StopReason.ContextFull or StopReason.CacheFull => FinishReason.Length,
        StopReason.Cancelled => FinishReason.Cancelled,
        _ => FinishReason.Error,
    };
}

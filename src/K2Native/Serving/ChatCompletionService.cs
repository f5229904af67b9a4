// The one mapping between OpenAI-style chat completions and the engine, shared by the HTTP server and
// K2ChatClient: renders the conversation (thinking on or off), checks it against the context, builds the
// engine request (sampling over the server's defaults, stops, the tool_choice constraint) and starts a run.
using K2Native.Runtime;
using K2Native.Text;
using static K2Native.Text.K2Markers;

namespace K2Native.Serving;

/// <summary>Settings the server (or client) applies when a request leaves them out.</summary>
public sealed record ServingDefaults
{
    /// <summary>The name /v1/models lists and responses carry; requests may name it or leave model out.</summary>
    public string ModelName { get; init; } = "k2";

    public SamplingParams Sampling { get; init; } = SamplingParams.K2Thinking;

    /// <summary>Token limit when a request sets none (cut to what the context leaves).</summary>
    public int MaxTokens { get; init; } = GenerationPreset.DefaultMaxTokens;
}

/// <summary>Starts chat completions on an engine.</summary>
public sealed class ChatCompletionService
{
    public ChatCompletionService(Engine engine, ChatTemplate template, ServingDefaults? defaults = null)
    {
        Engine = engine;
        Template = template;
        Defaults = defaults ?? new ServingDefaults();
    }

    public Engine Engine { get; }

    public ChatTemplate Template { get; }

    public ServingDefaults Defaults { get; }

    /// <summary>Replaces the tool_choice constraint (tests use it to script the model's answer token by token).</summary>
    public Func<ChatCompletionRequest, ITokenConstraint?>? ConstraintOverride { get; init; }

    /// <summary>Checks the model name; 404 when the request names another model.</summary>
    public void CheckModel(string? model)
    {
        if (model is not null && model != Defaults.ModelName)
            throw new ApiException(404, $"The model `{model}` does not exist (this server serves `{Defaults.ModelName}`)", "model", "model_not_found");
    }

    /// <summary>Renders, tokenizes and checks <paramref name="request"/>; the run starts when it is enumerated.</summary>
    /// <exception cref="ApiException">The request does not fit the context, or names another model.</exception>
    public ChatCompletionRun Start(ChatCompletionRequest request)
    {
        CheckModel(request.Model);
        request.Validate();
        bool reasoning = Template.Format == ChatFormat.Thinking && request.Thinking != false;
        string prompt = Template.Render(request.Messages, request.Tools, addGenerationPrompt: true);
        if (Template.Format == ChatFormat.Thinking && !reasoning) prompt += ThinkBegin + ThinkEnd;
        int[] tokens = Engine.Tokenizer.Encode(prompt);

        int room = Engine.ContextLength - tokens.Length;
        if (room < 1)
            throw new ApiException(400, $"the prompt has {tokens.Length} tokens; this server's context holds {Engine.ContextLength}", "messages", "context_length_exceeded");
        if (request.MaxTokens > room)
            throw new ApiException(400, $"the prompt has {tokens.Length} tokens and max_tokens asks for {request.MaxTokens}; this server's context holds {Engine.ContextLength}", "max_tokens", "context_length_exceeded");

        var generation = new GenerationRequest
        {
            PromptTokens = tokens,
            Sampling = request.Sampling(Defaults.Sampling),
            MaxTokens = request.MaxTokens ?? Math.Min(Defaults.MaxTokens, room),
            StopStrings = request.Stop,
            Constraint = ConstraintOverride is { } scripted ? scripted(request) : ToolConstraint(request, reasoning),
        };
        return new ChatCompletionRun(Engine, generation, new OutputParser(reasoning ? ChatFormat.Thinking : ChatFormat.Instruct));
    }

    private ToolCallConstraint? ToolConstraint(ChatCompletionRequest request, bool reasoning)
    {
        if (!ToolCallConstraint.Needed(request.ToolChoice, request.ParallelToolCalls) || request.Tools is null && request.ToolChoice.Mode == ToolChoiceMode.Auto) return null;
        if (!ToolCallConstraint.Supported(Engine.Tokenizer))
            throw ApiException.Unsupported("tool_choice", "this checkpoint's vocabulary has no tool-call marker tokens to constrain");
        return new ToolCallConstraint(Engine.Tokenizer, request.ToolChoice, request.ToolNames, request.PreviousToolCalls,
            request.ParallelToolCalls, reasoning, Engine.StopTokenIds);
    }
}

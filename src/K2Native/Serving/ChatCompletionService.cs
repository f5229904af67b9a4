// The one mapping between OpenAI-style chat completions and the engine, shared by the HTTP server and
// K2ChatClient: renders the conversation (thinking on or off), checks it against the context, builds the
// engine request (sampling over the server's defaults, stops, the tool_choice constraint) and starts a run.
// Legacy text completions (StartText) share the model check, the context check and the defaults.
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

    /// <summary>Replaces the tool_choice constraint (tests use it to script the model's answer token by
    /// token).</summary>
    public Func<ChatCompletionRequest, ITokenConstraint?>? ConstraintOverride { get; init; }

    /// <summary>Checks the model name; 404 when the request names another model.</summary>
    public void CheckModel(string? model)
    {
        if (model is not null && model != Defaults.ModelName)
            throw new ApiException(
                404, $"The model `{model}` does not exist (this server serves `{Defaults.ModelName}`)", "model",
                "model_not_found");
    }

    /// <summary>Renders, tokenizes and checks <paramref name="request"/>; the run starts when it is
    /// enumerated.</summary>
    /// <exception cref="ApiException">The request does not fit the context, or names another model.</exception>
    public ChatCompletionRun Start(ChatCompletionRequest request)
    {
        CheckModel(request.Model);
        request.Validate();
        bool reasoning = Template.Format == ChatFormat.Thinking && request.Thinking != false;
        string prompt = Template.Render(request.Messages, request.Tools, addGenerationPrompt: true);
        if (Template.Format == ChatFormat.Thinking && !reasoning) prompt += ThinkBegin + ThinkEnd;
        int[] tokens = Engine.Tokenizer.Encode(prompt);

        int room = Room(tokens.Length, request.MaxTokens, "messages");
        var generation = new GenerationRequest
        {
            PromptTokens = tokens,
            Sampling = request.Sampling(Defaults.Sampling),
            MaxTokens = request.MaxTokens ?? Math.Min(Defaults.MaxTokens, room),
            StopStrings = request.Stop,
            Constraint = ConstraintOverride is { } scripted ? scripted(request) : ToolConstraint(request, reasoning),
            TopLogProbs = request.TopLogProbs,
        };
        return new ChatCompletionRun(
            Engine, generation, new OutputParser(reasoning ? ChatFormat.Thinking : ChatFormat.Instruct));
    }

    /// <summary>Tokenizes and checks a legacy completion's prompt; the run starts when it is enumerated.</summary>
    /// <exception cref="ApiException">Token ids outside the vocabulary, a prompt that does not fit, another
    /// model.</exception>
    public TextCompletionRun StartText(TextCompletionRequest request)
    {
        CheckModel(request.Model);
        int[] tokens = request.PromptTokens?.ToArray() ?? Engine.Tokenizer.Encode(request.PromptText ?? "");
        if (tokens.Length == 0) throw ApiException.Invalid("prompt", "the prompt has no tokens");
        int vocabulary = Math.Min(Engine.Tokenizer.VocabSize, Engine.Model.Config.VocabSize);
        for (int i = 0; i < tokens.Length; i++)
            if (tokens[i] >= vocabulary)
                throw ApiException.Invalid($"prompt[{i}]", $"{tokens[i]} is outside the vocabulary [0, {vocabulary})");
        int room = Room(tokens.Length, request.MaxTokens, "prompt");
        var generation = new GenerationRequest
        {
            PromptTokens = tokens,
            Sampling = request.Sampling.Over(Defaults.Sampling),
            MaxTokens = request.MaxTokens ?? Math.Min(Defaults.MaxTokens, room),
            StopStrings = request.Stop,
            TopLogProbs = request.LogProbs,
        };
        return new TextCompletionRun(
            Engine, generation, request.Echo ? request.PromptText ?? Engine.Tokenizer.Decode(tokens) : "");
    }

    /// <summary>Tokens the context leaves after a prompt; 400 context_length_exceeded when none, or fewer than
    /// max_tokens.</summary>
    private int Room(int promptTokens, int? maxTokens, string promptParam)
    {
        int room = Engine.ContextLength - promptTokens;
        if (room < 1)
            throw new ApiException(
                400, $"the prompt has {promptTokens} tokens; this server's context holds {Engine.ContextLength}",
                promptParam, "context_length_exceeded");
        if (maxTokens > room)
            throw new ApiException(
                400,
                $"the prompt has {promptTokens} tokens and max_tokens asks for {maxTokens}; this server's context "
                + $"holds {Engine.ContextLength}",
                "max_tokens", "context_length_exceeded");
        return room;
    }

    private ToolCallConstraint? ToolConstraint(ChatCompletionRequest request, bool reasoning)
    {
        if (!ToolCallConstraint.Needed(request.ToolChoice, request.ParallelToolCalls)
            || request.Tools is null && request.ToolChoice.Mode == ToolChoiceMode.Auto)
            return null;
        if (!ToolCallConstraint.Supported(Engine.Tokenizer))
            throw ApiException.Unsupported(
                "tool_choice", "this checkpoint's vocabulary has no tool-call marker tokens to constrain");
        return new ToolCallConstraint(
            Engine.Tokenizer, request.ToolChoice, request.ToolNames, request.PreviousToolCalls,
            request.ParallelToolCalls, reasoning, Engine.StopTokenIds);
    }
}

// POST /v1/completions (OpenAI's legacy text completions): the prompt is raw text or token ids, continued with no
// chat template. Shares sampling, stop, stream_options and the refused penalties with chat completions
// (GenerationFields); n and best_of are 1, suffix is refused, echo prepends the prompt, logprobs is a count of
// alternatives (0 to 20). Unknown fields are reported to the caller and ignored, as for chat.
using System.Text.Json;
using System.Text.Json.Nodes;

namespace K2Native.Serving;

/// <summary>A validated legacy completion request: <see cref="PromptText"/> or <see cref="PromptTokens"/>.</summary>
public sealed record TextCompletionRequest
{
    public string? Model { get; init; }

    /// <summary>The prompt as text (tokenized with special tokens allowed, as /tokenize does); null when given as
    /// ids.</summary>
    public string? PromptText { get; init; }

    /// <summary>The prompt as token ids (checked against the vocabulary by the service); null when given as
    /// text.</summary>
    public IReadOnlyList<int>? PromptTokens { get; init; }

    public int? MaxTokens { get; init; }

    public SamplingFields Sampling { get; init; } = new(null, null, null, null, null);

    public IReadOnlyList<string> Stop { get; init; } = [];

    public bool Stream { get; init; }

    public bool IncludeUsage { get; init; }

    /// <summary>Whether the answer starts with the prompt's text.</summary>
    public bool Echo { get; init; }

    /// <summary>Null: no log-probabilities; else each token's and this many alternatives'.</summary>
    public int? LogProbs { get; init; }

    /// <summary>Reads <paramref name="body"/>; <paramref name="ignored"/> hears each unknown field's name.</summary>
    /// <exception cref="ApiException">400 naming the first bad field.</exception>
    public static TextCompletionRequest Read(ReadOnlySpan<byte> body, Action<string>? ignored = null)
    {
        var f = RequestFields.Parse(body);
        var (text, tokens) = ReadPrompt(f.Node("prompt"), f.Has("prompt"));
        var request = new TextCompletionRequest
        {
            Model = f.String("model"),
            PromptText = text,
            PromptTokens = tokens,
            MaxTokens = (int?)f.Integer("max_tokens", 1, int.MaxValue),
            Sampling = GenerationFields.Sampling(f),
            Stop = GenerationFields.Stop(f),
            Stream = f.Bool("stream") ?? false,
            IncludeUsage = GenerationFields.IncludeUsage(f),
            Echo = f.Bool("echo") ?? false,
            LogProbs = GenerationFields.TopLogProbs(f, "logprobs"),
        };
        GenerationFields.RefuseUnsupported(f);
        f.Integer("best_of", 1, 1);
        f.RefuseUnlessNeutral("suffix", _ => false, "insertion (suffix) is not supported");
        if (request.Echo && request.LogProbs is not null)
            throw ApiException.Unsupported(
                "echo",
                "echo with logprobs would need the prompt's log-probabilities, which this server does not compute");
        request.Sampling.Validate();
        foreach (string key in f.Unread) ignored?.Invoke(key);
        return request;
    }

    /// <summary>A string, an array of token ids, or a one-element array of either (one prompt per request: n is
    /// 1).</summary>
    private static (string? Text, int[]? Tokens) ReadPrompt(JsonNode? node, bool present)
    {
        const string expected = "a string or an array of token ids";
        switch (node)
        {
            case null:
                throw ApiException.Invalid(
                    "prompt", present ? $"expected {expected}, found null" : "missing", "missing_required_parameter");
            case JsonValue v when v.GetValueKind() == JsonValueKind.String:
                string text = v.GetValue<string>();
                return text.Length > 0 ? (text, null) : throw ApiException.Invalid("prompt", "the prompt is empty");
            case JsonArray { Count: 0 }:
                throw ApiException.Invalid("prompt", "the prompt is empty");
            case JsonArray { Count: 1 } one when one[0] is JsonArray || one[0]?.GetValueKind() == JsonValueKind.String:
                return ReadPrompt(one[0], true);
            case JsonArray a when a[0] is JsonValue first && first.GetValueKind() == JsonValueKind.Number:
                var ids = new int[a.Count];
                for (int i = 0; i < a.Count; i++)
                    if (a[i] is not JsonValue e || e.GetValueKind() != JsonValueKind.Number
                        || !e.GetValue<JsonElement>().TryGetInt32(out ids[i]) || ids[i] < 0)
                        throw RequestFields.WrongType($"prompt[{i}]", "a token id (an integer of 0 or more)", a[i]);
                return (null, ids);
            case JsonArray a:
                throw a.Count > 1 && a.All(p => p is JsonArray || p?.GetValueKind() == JsonValueKind.String)
                    ? ApiException.Invalid(
                        "prompt", $"one prompt per request (found {a.Count}): n and batched prompts are not supported")
                    : RequestFields.WrongType("prompt[0]", "a token id, a string or an array of token ids", a[0]);
            default:
                throw RequestFields.WrongType("prompt", expected, node);
        }
    }
}

// The request fields chat completions and legacy text completions share, read the same way for both: sampling
// (temperature, top_p, top_k, min_p, seed), stop strings, stream_options, log-probability counts, and the
// penalties this server refuses unless neutral. Each failure is a 400 naming the field.
using System.Text.Json;
using System.Text.Json.Nodes;
using K2Native.Runtime;

namespace K2Native.Serving;

/// <summary>Sampling fields of a request; null where it leaves them to the server.</summary>
public sealed record SamplingFields(float? Temperature, float? TopP, int? TopK, float? MinP, ulong? Seed)
{
    /// <summary>The request's fields over the server's defaults.</summary>
    public SamplingParams Over(SamplingParams defaults) => defaults with
    {
        Temperature = Temperature ?? defaults.Temperature,
        TopP = TopP ?? defaults.TopP,
        TopK = TopK ?? defaults.TopK,
        MinP = MinP ?? defaults.MinP,
        Seed = Seed ?? defaults.Seed,
    };

    /// <summary>Checks the combined settings; 400 naming the field at fault.</summary>
    public void Validate()
    {
        try
        {
            Over(SamplingParams.K2Thinking).Validate();
        }
        catch (ArgumentException e)
        {
            throw ApiException.Invalid(e.Message.Split(' ')[0], e.Message);
        }
    }
}

/// <summary>Readers of the fields both completion endpoints take.</summary>
public static class GenerationFields
{
    public static SamplingFields Sampling(RequestFields f)
    {
        long? k = f.Integer("top_k", -1, int.MaxValue);
        return new SamplingFields(
            (float?)f.Number("temperature", 0, 2),
            (float?)f.Number("top_p", double.Epsilon, 1),
            k is -1 ? 0 : (int?)k,   // vLLM's -1 means off, as 0 does here
            (float?)f.Number("min_p", 0, 1),
            f.Integer("seed", long.MinValue, long.MaxValue) is { } seed ? unchecked((ulong)seed) : null);
    }

    public static IReadOnlyList<string> Stop(RequestFields f)
    {
        var stop = f.Strings("stop", 16);
        for (int i = 0; i < stop.Count; i++)
            if (stop[i].Length == 0)
                throw ApiException.Invalid(
                    f.Body["stop"] is JsonArray ? $"stop[{i}]" : "stop", "a stop string must not be empty");
        return stop;
    }

    /// <summary>stream_options.include_usage; stream_options without stream: true is a 400.</summary>
    public static bool IncludeUsage(RequestFields f)
    {
        var node = f.Node("stream_options");
        if (node is null) return false;
        if (node is not JsonObject o) throw RequestFields.WrongType("stream_options", "an object", node);
        if (f.Body["stream"] is not JsonValue s || s.GetValueKind() != JsonValueKind.True)
            throw ApiException.Invalid("stream_options", "only allowed when stream is true");
        var usage = o["include_usage"];
        if (usage is null) return false;
        return usage.GetValueKind() is JsonValueKind.True or JsonValueKind.False
            ? usage.GetValue<bool>()
            : throw RequestFields.WrongType("stream_options.include_usage", "true or false", usage);
    }

    /// <summary>A count of alternatives per token, 0 to <see cref="TokenLogProbs.MaxTop"/>.</summary>
    public static int? TopLogProbs(RequestFields f, string key) => (int?)f.Integer(key, 0, TokenLogProbs.MaxTop);

    /// <summary>Fields of both endpoints this server does not implement: refused unless neutral; n must be 1.</summary>
    public static void RefuseUnsupported(RequestFields f)
    {
        f.Integer("n", 1, 1);
        f.RefuseUnlessNeutral("frequency_penalty", IsZero, "penalties are not implemented");
        f.RefuseUnlessNeutral("presence_penalty", IsZero, "penalties are not implemented");
        f.RefuseUnlessNeutral(
            "repetition_penalty",
            n => n.GetValueKind() == JsonValueKind.Number && n.GetValue<JsonElement>().GetDouble() == 1,
            "penalties are not implemented");
        f.RefuseUnlessNeutral("logit_bias", n => n is JsonObject { Count: 0 }, "logit bias is not implemented");
        // Accepted and without effect here: fields about the caller's bookkeeping.
        foreach (string key in (string[])["user", "metadata", "store", "service_tier"]) f.Node(key);
    }

    private static bool IsZero(JsonNode n) => n.GetValueKind() == JsonValueKind.Number
        && n.GetValue<JsonElement>().GetDouble() == 0;
}

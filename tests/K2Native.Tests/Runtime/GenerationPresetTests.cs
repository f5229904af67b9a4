// GenerationPreset: the one place for generation defaults (K2-SPEC section 5's sampling, one MaxTokens) and the
// overrides the console's options apply to it.
using K2Native.Runtime;
using K2Native.Serving;

namespace K2Native.Tests.Runtime;

public sealed class GenerationPresetTests
{
    [Fact]
    public void K2Thinking_IsTheSpecsRecommendation()
    {
        var p = GenerationPreset.K2Thinking;
        Assert.Equal(1f, p.Sampling.Temperature);
        Assert.Equal(0.01f, p.Sampling.MinP);
        Assert.Equal(1f, p.Sampling.TopP);
        Assert.Equal(0, p.Sampling.TopK);
        Assert.Null(p.Sampling.Seed);
        Assert.Equal(GenerationPreset.DefaultMaxTokens, p.MaxTokens);
    }

    [Fact]
    public void EveryHolder_StartsFromThePreset()
    {
        var p = GenerationPreset.K2Thinking;
        Assert.Equal(p.Sampling, new SamplingParams());
        var request = new GenerationRequest { PromptTokens = [1] };
        Assert.Equal((p.Sampling, p.MaxTokens), (request.Sampling, request.MaxTokens));
        var chat = new ChatSettings();
        Assert.Equal((p.Sampling, p.MaxTokens), (chat.Sampling, chat.MaxTokens));
        var serving = new ServingDefaults();
        Assert.Equal((p.Sampling, p.MaxTokens), (serving.Sampling, serving.MaxTokens));
    }

    [Fact]
    public void With_ReplacesOnlyWhatIsGiven()
    {
        var p = GenerationPreset.K2Thinking.With(temperature: 0.5f, maxTokens: 7);
        Assert.Equal(0.5f, p.Sampling.Temperature);
        Assert.Equal(0.01f, p.Sampling.MinP);
        Assert.Equal(7, p.MaxTokens);
        Assert.Equal(GenerationPreset.K2Thinking, GenerationPreset.K2Thinking.With());
    }

    [Theory]
    [InlineData(-1f, null, null, null, null, "temperature -1")]
    [InlineData(null, 0f, null, null, null, "top_p 0")]
    [InlineData(null, null, -2, null, null, "top_k -2")]
    [InlineData(null, null, null, 1.5f, null, "min_p 1.5")]
    [InlineData(null, null, null, null, 0, "max_tokens 0")]
    public void With_RefusesAValueOutOfRange_NamingIt(
        float? temperature, float? topP, int? topK, float? minP, int? maxTokens, string expected)
    {
        var e = Assert.Throws<ArgumentException>(
            () => GenerationPreset.K2Thinking.With(temperature, topP, topK, minP, null, maxTokens));
        Assert.Contains(expected, e.Message);
    }
}

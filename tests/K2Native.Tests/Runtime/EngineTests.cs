// The generation engine end to end on small checkpoints: greedy ids against transformers' (fixture), prefix
// reuse that changes nothing but the work done, concurrent requests that do not disturb each other,
// cancellation that frees blocks at once, and every stop condition.
using System.Text.Json;
using K2Native.Backends;
using K2Native.Backends.Cpu;
using K2Native.Checkpoint;
using K2Native.Model;
using K2Native.Runtime;
using K2Native.Tests.Support;
using K2Native.Text;

namespace K2Native.Tests.Runtime;

public sealed class EngineTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [SharedTheory]
    [InlineData(1)]
    [InlineData(16)]
    [InlineData(64)]
    public void GreedyMatchesTransformers(int blockSize)
    {
        using var doc = JsonDocument.Parse(
            File.ReadAllText(Path.Combine(SharedFixtures.TinyK2, "reference", "greedy.json")));
        using var engine = Open(SharedFixtures.TinyK2, new EngineOptions { BlockSize = blockSize });
        foreach (var item in doc.RootElement.EnumerateArray())
        {
            var prompt = item.GetProperty("prompt").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            var expected = item.GetProperty("greedy").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            var margins = item.GetProperty("margins").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            var (ids, _, result) = engine.Generate(
                new GenerationRequest
                {
                    PromptTokens = prompt,
                    Sampling = SamplingParams.Greedy,
                    MaxTokens = expected.Length
                });
            int trusted = Array.FindIndex(margins, m => m < 1e-3);
            if (trusted < 0) trusted = expected.Length;
            Assert.Equal(expected[..trusted], ids[..trusted]);
            Assert.Equal(StopReason.MaxTokens, result.Reason);
        }
    }

    [Fact]
    public void ConversationTurnsReuseTheirPrefixAndChangeNothing()
    {
        CheckpointFactory.Write(_dir.Path, seed: 31);
        var (withReuse, reused) = RunToolLoop(prefixCaching: true, steps: 50);
        var (without, none) = RunToolLoop(prefixCaching: false, steps: 50);
        Assert.Equal(without, withReuse);
        Assert.Equal(0, none);
        // Every step after the first finds at least the previous step's whole prompt, block-rounded.
        Assert.True(reused > 50 * 40, $"only {reused} prompt tokens were reused over 50 steps");
    }

    [Fact]
    public async Task MultiTurnChatGivesTheSameTokensWithAndWithoutReuse()
    {
        CheckpointFactory.Write(_dir.Path, seed: 39);
        var (withReuse, reused) = await ChatTurns(prefixCaching: true);
        var (without, none) = await ChatTurns(prefixCaching: false);
        Assert.Equal(without, withReuse);
        Assert.Equal(0, none);
        Assert.True(reused > 100, $"only {reused} prompt tokens were reused over the turns");
    }

    [Fact]
    public async Task ConcurrentRequestsGiveTheTokensTheyGiveAlone()
    {
        CheckpointFactory.Write(_dir.Path, seed: 32);
        var prompts = Enumerable.Range(0, 5).Select(
            p => Enumerable.Range(0, 7 + 9 * p).Select(i => (i * 37 + p * 101) % 700).ToArray()).ToArray();
        int[][] alone;
        using (var engine = Open(_dir.Path, new EngineOptions { PrefixCaching = false }))
            alone = prompts.Select(p => engine.Generate(Request(p, 12)).Ids).ToArray();
        using (var engine = Open(
            _dir.Path, new EngineOptions { PrefixCaching = false, MaxStepTokens = 16, MaxSequences = 3 }))
        {
            var together = await Task.WhenAll(prompts.Select(p => Task.Run(() => engine.Generate(Request(p, 12)).Ids)));
            for (int i = 0; i < prompts.Length; i++) Assert.Equal(alone[i], together[i]);
        }
    }

    [Fact]
    public void PromptChunksCutForStopLatencyGiveTheSameTokens()
    {
        CheckpointFactory.Write(_dir.Path, seed: 33);
        var prompts = Enumerable.Range(0, 3).Select(
            p => Enumerable.Range(0, 90 + 40 * p).Select(i => (i * 41 + p * 13) % 700).ToArray()).ToArray();
        int[][] whole;
        using (var engine = Open(_dir.Path, new EngineOptions { PrefixCaching = false, StopLatency = null }))
            whole = prompts.Select(p => engine.Generate(Request(p, 8)).Ids).ToArray();
        // A latency no layer can meet: after the first measured chunk every prompt chunk is one token.
        using (var engine = Open(
            _dir.Path, new EngineOptions { PrefixCaching = false, StopLatency = TimeSpan.FromTicks(1) }))
            for (int i = 0; i < prompts.Length; i++)
                Assert.Equal(whole[i], engine.Generate(Request(prompts[i], 8)).Ids);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    public void AStopLatencyThatIsNotPositiveIsRefused(int milliseconds)
    {
        var e = Assert.Throws<ArgumentException>(
            () => new EngineOptions { StopLatency = TimeSpan.FromMilliseconds(milliseconds) }.Validate());
        Assert.Contains("stop latency", e.Message);
    }

    [Fact]
    public async Task ConcurrentRequestsSharingAPrefixShareBlocksAndChangeNothing()
    {
        CheckpointFactory.Write(_dir.Path, seed: 42);
        var shared = Enumerable.Range(0, 70).Select(i => (i * 53 + 11) % 700).ToArray();
        var prompts = Enumerable.Range(0, 6).Select(
            p => shared.Concat(Enumerable.Range(0, 3 + p).Select(i => (p * 97 + i) % 700)).ToArray()).ToArray();
        int[][] alone;
        using (var engine = Open(_dir.Path, new EngineOptions { PrefixCaching = false }))
            alone = prompts.Select(p => engine.Generate(Request(p, 10)).Ids).ToArray();
        using (var engine = Open(_dir.Path, new EngineOptions { BlockSize = 8, MaxStepTokens = 32, MaxSequences = 4 }))
        {
            engine.Generate(Request(shared, 1));
            var together = await Task.WhenAll(prompts.Select(p => Task.Run(() => engine.Generate(Request(p, 10)).Ids)));
            for (int i = 0; i < prompts.Length; i++) Assert.Equal(alone[i], together[i]);
            Assert.True(
                engine.ReusedPromptTokens >= prompts.Length * 64, $"{engine.ReusedPromptTokens} prompt tokens reused");
            Assert.Equal(0, engine.Pool.InUse);
        }
    }

    [Fact]
    public async Task PreemptedSequencesResumeAndGiveTheirOwnTokens()
    {
        CheckpointFactory.Write(_dir.Path, seed: 43);
        using var checkpoint = K2Checkpoint.Open(_dir.Path);
        var c = checkpoint.Config;
        long bytesPerBlock = 4L * c.NumHiddenLayers * (c.KvLoraRank + c.QkRopeHeadDim) * 4;
        var prompts = Enumerable.Range(0, 3).Select(
            p => Enumerable.Range(0, 20).Select(i => (i * 31 + p * 7) % 700).ToArray()).ToArray();
        int[][] alone;
        using (var engine = Open(_dir.Path, new EngineOptions { PrefixCaching = false }))
            alone = prompts.Select(p => engine.Generate(Request(p, 24)).Ids).ToArray();
        // 12 blocks of 4 tokens: each sequence needs 11 alone (20 + 24 tokens), so three at once must take turns.
        using (var engine = new Engine(K2Model.Load(checkpoint, new CpuBackend()), Tokenizer.Load(_dir.Path),
                   new EngineOptions { BlockSize = 4, KvCacheBytes = 12 * bytesPerBlock, MaxSequences = 3 }))
        {
            var results = await Task.WhenAll(prompts.Select(p => Task.Run(() => engine.Generate(Request(p, 24)))));
            for (int i = 0; i < prompts.Length; i++)
            {
                Assert.Equal(StopReason.MaxTokens, results[i].Result.Reason);
                Assert.Equal(alone[i], results[i].Ids);
            }
            Assert.Equal(0, engine.Pool.InUse);
        }
    }

    [Fact]
    public async Task CancellationReleasesBlocksBeforeTheCallerResumes()
    {
        CheckpointFactory.Write(_dir.Path, seed: 33);
        using var engine = Open(_dir.Path, new EngineOptions { PrefixCaching = false, BlockSize = 4 });
        using var cts = new CancellationTokenSource();
        int seen = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var update in engine.GenerateAsync(Request([1, 2, 3, 4, 5, 6, 7, 8, 9], 1000), cts.Token))
            {
                if (++seen == 5) cts.Cancel();
            }
        });
        Assert.Equal(0, engine.Pool.InUse);
        Assert.Equal(engine.Pool.Blocks, engine.Pool.Available);
    }

    [Fact]
    public async Task ReaderThatStopsEarlyReleasesItsBlocks()
    {
        CheckpointFactory.Write(_dir.Path, seed: 34);
        using var engine = Open(_dir.Path, new EngineOptions { BlockSize = 4 });
        await foreach (var update in engine.GenerateAsync(Request([5, 6, 7], 500)))
            break;
        Assert.Equal(0, engine.Pool.InUse);
    }

    [Fact]
    public void StopConditions()
    {
        CheckpointFactory.Write(_dir.Path, seed: 35);
        using var engine = Open(_dir.Path, new EngineOptions { ContextLength = 30 });
        int[] prompt = [10, 20, 30, 40];
        var (free, text, _) = engine.Generate(Request(prompt, 20));

        var max = engine.Generate(Request(prompt, 3));
        Assert.Equal((StopReason.MaxTokens, 3), (max.Result.Reason, max.Ids.Length));

        var byId = engine.Generate(Request(prompt, 20) with { StopTokenIds = [free[2]] });
        Assert.Equal(StopReason.EndOfSequence, byId.Result.Reason);
        Assert.Equal(free[..3], byId.Ids);

        var context = engine.Generate(Request(prompt, 100));
        Assert.Equal(StopReason.ContextFull, context.Result.Reason);
        Assert.Equal(30 - prompt.Length, context.Ids.Length);

        string stop = text.Substring(text.Length / 2, 2);
        var byText = engine.Generate(Request(prompt, 20) with { StopStrings = [stop] });
        Assert.Equal(StopReason.StopString, byText.Result.Reason);
        Assert.Equal(text[..text.IndexOf(stop, StringComparison.Ordinal)], byText.Text);
    }

    [Fact]
    public void TooSmallCacheEndsTheSequenceWithAClearReason()
    {
        CheckpointFactory.Write(_dir.Path, seed: 36);
        using var checkpoint = K2Checkpoint.Open(_dir.Path);
        var c = checkpoint.Config;
        long bytesPerBlock = 4L * c.NumHiddenLayers * (c.KvLoraRank + c.QkRopeHeadDim) * 4;
        using var engine = new Engine(K2Model.Load(checkpoint, new CpuBackend()), Tokenizer.Load(_dir.Path),
            new EngineOptions { BlockSize = 4, KvCacheBytes = 3 * bytesPerBlock, PrefixCaching = false });
        var (ids, _, result) = engine.Generate(Request([1, 2, 3, 4, 5], 50));
        Assert.Equal(StopReason.CacheFull, result.Reason);
        Assert.Equal(12 - 5 + 1, ids.Length);      // 12 slots computed; the last one's logits still yield a token
        Assert.Contains("12 tokens", result.Detail);
    }

    [Fact]
    public void BadRequestsAreRefusedWithTheirReason()
    {
        CheckpointFactory.Write(_dir.Path, seed: 37);
        using var engine = Open(_dir.Path, new EngineOptions { ContextLength = 16 });
        Assert.Contains(
            "vocabulary", Assert.Throws<ArgumentException>(() => engine.Generate(Request([1, 99999], 2))).Message);
        Assert.Contains("no tokens", Assert.Throws<ArgumentException>(() => engine.Generate(Request([], 2))).Message);
        Assert.Contains(
            "context", Assert.Throws<ArgumentException>(() => engine.Generate(Request(new int[16], 2))).Message);
        Assert.Contains(
            "top_p",
            Assert.Throws<ArgumentException>(
                () => engine.Generate(Request([1], 2) with { Sampling = new SamplingParams { TopP = 0 } })).Message);
    }

    [Fact]
    public void SeededSamplingIsReproducible()
    {
        CheckpointFactory.Write(_dir.Path, seed: 38);
        using var engine = Open(_dir.Path, new EngineOptions());
        var request = Request([3, 1, 4, 1, 5], 24) with { Sampling = SamplingParams.K2Thinking with { Seed = 9 } };
        Assert.Equal(engine.Generate(request).Ids, engine.Generate(request).Ids);
        Assert.NotEqual(
            engine.Generate(request).Ids,
            engine.Generate(request with { Sampling = request.Sampling with { Seed = 10 } }).Ids);
    }

    /// <summary>A tool loop on the token level: each step's prompt is the last prompt, the answer, and a fixed "tool
    /// result".</summary>
    private (List<int[]> Answers, long Reused) RunToolLoop(bool prefixCaching, int steps)
    {
        using var engine = Open(
            _dir.Path,
            new EngineOptions
            {
                PrefixCaching = prefixCaching,
                BlockSize = 16,
                MaxStepTokens = 64,
                KvCacheBytes = 64L << 20
            });
        var prompt = Enumerable.Range(0, 40).Select(i => (i * 13 + 1) % 760).ToList();
        var answers = new List<int[]>();
        for (int step = 0; step < steps; step++)
        {
            var (ids, _, _) = engine.Generate(Request(prompt.ToArray(), 6));
            answers.Add(ids);
            prompt.AddRange(ids);
            prompt.AddRange(Enumerable.Range(0, 5).Select(i => (step * 29 + i * 7) % 760));
        }
        return (answers, engine.ReusedPromptTokens);
    }

    /// <summary>Six chat turns through the template: each answer is parsed, appended, and the next question rendered
    /// after it.</summary>
    private async Task<(List<string> Answers, long Reused)> ChatTurns(bool prefixCaching)
    {
        using var engine = Open(_dir.Path, new EngineOptions { PrefixCaching = prefixCaching, BlockSize = 8 });
        var messages = new List<ChatMessage> { ChatMessage.System("You answer briefly.") };
        var answers = new List<string>();
        foreach (var question in new[]
            { "hello", "what is the capital of France?", "and of Japan?", "thanks", "one more", "bye" })
        {
            messages.Add(ChatMessage.User(question));
            var turn = new ChatTurn(
                engine, ChatTemplate.Thinking, messages, null,
                new ChatSettings { Sampling = SamplingParams.Greedy, MaxTokens = 12 });
            await foreach (var _ in turn.StreamAsync()) { }
            messages.Add(turn.Message!);
            answers.Add(string.Join(' ', turn.PromptTokens) + " -> " + turn.Message);
        }
        return (answers, engine.ReusedPromptTokens);
    }

    private static GenerationRequest Request(int[] prompt, int maxTokens) =>
        new() { PromptTokens = prompt, Sampling = SamplingParams.Greedy, MaxTokens = maxTokens, StopTokenIds = [] };

    private static Engine Open(string directory, EngineOptions options)
    {
        var checkpoint = K2Checkpoint.Open(directory);
        return new Engine(K2Model.Load(checkpoint, new CpuBackend()), Tokenizer.Load(directory), options);
    }
}

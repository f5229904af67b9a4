// The generation engine: requests enter a queue; one engine thread runs steps that batch every running sequence
// (continuous batching: prompt chunks and decode tokens of different requests in one model step), samples the
// next token of each sequence whose known tokens are all computed, turns ids into text, checks stops, and
// streams updates to each request's reader. Blocks come from the paged cache's pool; prompts first look for
// their prefix there. When blocks run short the most recently admitted sequence is preempted (its blocks
// released, its computed prefix usually still cached) and resumes later. Cancellation releases a sequence's
// blocks before the caller's await returns; a step whose sequences are all cancelled stops between layers, so a
// long prefill chunk does not hold the caller up.
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using K2Native.Backends;
using K2Native.Model;
using K2Native.Text;

namespace K2Native.Runtime;

/// <summary>Runs generations on a model. Thread-safe: any thread may submit; one engine thread computes.</summary>
public sealed class Engine : IDisposable
{
    private readonly K2Model _model;
    private readonly Tokenizer _tokenizer;
    private readonly KvCacheStorage _storage;
    private readonly StepBatch _batch;
    private readonly Sampler _sampler;
    private readonly float[] _logits;
    private readonly HashSet<int> _stopIds;
    private readonly Queue<Sequence> _incoming = new();
    private readonly List<Sequence> _waiting = [];
    private readonly List<Sequence> _running = [];
    private readonly List<(Sequence Sequence, int Tokens)> _plan = [];
    private readonly SemaphoreSlim _wake = new(0);
    private readonly Thread _thread;
    private readonly Func<bool> _abandonStep;
    private long _nextId;
    private int _runningCount;
    private int _waitingCount;
    private long _generatedTokens;
    private volatile bool _disposed;

    public Engine(K2Model model, Tokenizer tokenizer, EngineOptions? options = null)
    {
        Options = options ?? new EngineOptions();
        Options.Validate();
        _model = model;
        _tokenizer = tokenizer;
        var c = model.Config;
        if (Options.ContextLength > c.MaxPositionEmbeddings)
            throw new ArgumentException(
                $"a context of {Options.ContextLength} tokens is more than the model's maximum of "
                + $"{c.MaxPositionEmbeddings} (config.json's max_position_embeddings)");
        ContextLength = Options.ContextLength ?? c.MaxPositionEmbeddings;
        long blockBytes = model.CacheBytesPerToken(Options.KvCacheDType) * Options.BlockSize;
        long blocks = Options.KvCacheBytes / blockBytes;
        if (blocks < 1)
            throw new ArgumentException(
                $"a KV cache budget of {Options.KvCacheBytes} bytes holds no block of {Options.BlockSize} tokens "
                + $"({blockBytes} bytes each)");
        blocks = Math.Min(blocks, int.MaxValue / Options.BlockSize);
        Pool = new KvBlockPool((int)blocks, Options.BlockSize);
        _storage = model.NewKvCache((int)blocks, Options.BlockSize, Options.KvCacheDType);
        int maxBlocksPerSequence = (ContextLength + Options.BlockSize - 1) / Options.BlockSize;
        _batch = new StepBatch(
            Options.MaxStepTokens + Options.MaxSequences, Options.MaxSequences, maxBlocksPerSequence);
        _sampler = new Sampler(c.VocabSize);
        _logits = new float[(long)Options.MaxSequences * c.VocabSize];
        _stopIds = [.. c.EosTokenIds];
        if (tokenizer.TryGetSpecial("<|im_end|>", out int imEnd)) _stopIds.Add(imEnd);
        _abandonStep = () => _plan.TrueForAll(
            p => p.Sequence.Abandoned || p.Sequence.Cancellation.IsCancellationRequested);
        _thread = new Thread(Loop) { IsBackground = true, Name = "k2-engine" };
        _thread.Start();
    }

    public EngineOptions Options { get; }

    public K2Model Model => _model;

    public Tokenizer Tokenizer => _tokenizer;

    /// <summary>The ids that end a generation: the checkpoint's eos ids and &lt;|im_end|&gt;.</summary>
    public IReadOnlyCollection<int> StopTokenIds => _stopIds;

    /// <summary>Longest sequence the engine runs.</summary>
    public int ContextLength { get; }

    /// <summary>The cache's block pool (read its counters; the engine thread owns it).</summary>
    public KvBlockPool Pool { get; }

    /// <summary>Tokens the cache can hold.</summary>
    public long CacheTokens => (long)Pool.Blocks * Pool.BlockSize;

    /// <summary>Bytes one token's cache entries take over all layers.</summary>
    public long CacheBytesPerToken => _storage.Layout.BytesPerToken;

    /// <summary>The KV cache budget, rounded up to whole MiB, that holds <paramref name="tokens"/> tokens of one
    /// sequence.</summary>
    public long CacheMebibytesFor(long tokens)
    {
        long blocks = (tokens + Pool.BlockSize - 1) / Pool.BlockSize;
        return (blocks * Pool.BlockSize * CacheBytesPerToken + (1L << 20) - 1) >> 20;
    }

    /// <summary>The longest single sequence the engine can run: the context length, or less when the KV cache holds
    /// less.</summary>
    public int SequenceLimit => (int)Math.Min(ContextLength, CacheTokens);

    /// <summary>Prompt tokens computed and reused since the engine started.</summary>
    public long ComputedPromptTokens { get; private set; }

    public long ReusedPromptTokens { get; private set; }

    /// <summary>Sequences computing now (updated by the engine thread after each admission and retirement).</summary>
    public int RunningSequences => Volatile.Read(ref _runningCount);

    /// <summary>Sequences queued or preempted, waiting for room.</summary>
    public int WaitingSequences => Volatile.Read(ref _waitingCount);

    /// <summary>Generated tokens since the engine started.</summary>
    public long GeneratedTokens => Interlocked.Read(ref _generatedTokens);

    /// <summary>Generates from <paramref name="request"/>, one update per token and a final one with the
    /// result.</summary>
    /// <exception cref="ArgumentException">The request is invalid.</exception>
    /// <exception cref="GenerationCancelledException"><paramref name="cancellationToken"/> fired; the sequence's blocks
    /// are already released and the exception carries the figures of the part that ran.</exception>
    public async IAsyncEnumerable<GenerationUpdate> GenerateAsync(
        GenerationRequest request, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        request.Validate(_model.Config.VocabSize, ContextLength);
        var sequence = new Sequence(
            Interlocked.Increment(ref _nextId), request, _tokenizer.CreateStreamingDecoder(), cancellationToken);
        lock (_incoming) _incoming.Enqueue(sequence);
        _wake.Release();
        using var wakeOnCancel = cancellationToken.Register(() => _wake.Release());
        var reader = sequence.Output.Reader;
        bool finished = false;
        try
        {
            while (true)
            {
                bool more;
                try
                {
                    more = await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    break;
                }
                if (!more) yield break;
                while (!cancellationToken.IsCancellationRequested && reader.TryRead(out var update))
                {
                    finished = update.Result is not null;
                    yield return update;
                    if (finished) yield break;
                }
                if (cancellationToken.IsCancellationRequested) break;
            }
        }
        finally
        {
            if (!finished)
            {
                sequence.Abandoned = true;
                _wake.Release();
                await sequence.Released.Task.ConfigureAwait(false);
            }
        }
        if (cancellationToken.IsCancellationRequested)
        {
            GenerationResult? partial = null;
            while (reader.TryRead(out var update)) partial = update.Result ?? partial;
            throw new GenerationCancelledException(partial, cancellationToken);
        }
    }

    /// <summary>Runs <paramref name="request"/> to the end; returns the ids, the text and the result.</summary>
    public (int[] Ids, string Text, GenerationResult Result) Generate(
        GenerationRequest request, CancellationToken cancellationToken = default)
    {
        var ids = new List<int>();
        var text = new System.Text.StringBuilder();
        GenerationResult? result = null;
        var task = Task.Run(async () =>
        {
            await foreach (var update in GenerateAsync(request, cancellationToken).ConfigureAwait(false))
            {
                if (update.TokenId >= 0) ids.Add(update.TokenId);
                text.Append(update.Text);
                result = update.Result ?? result;
            }
        }, CancellationToken.None);
        task.GetAwaiter().GetResult();
        return (ids.ToArray(), text.ToString(), result!);
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _wake.Release();
        _thread.Join();
        _storage.Dispose();
        _wake.Dispose();
    }

    private void Loop()
    {
        while (!_disposed)
        {
            Admit();
            if (_running.Count == 0)
            {
                _wake.Wait();
                continue;
            }
            try
            {
                Step();
            }
            catch (Exception e)
            {
                foreach (var s in _running.ToArray()) Fail(s, e);
            }
        }
        foreach (var s in _running.Concat(_waiting).ToArray())
            Fail(s, new ObjectDisposedException(nameof(Engine), "the engine was disposed while generating"));
        lock (_incoming)
            while (_incoming.TryDequeue(out var s))
                Fail(s, new ObjectDisposedException(nameof(Engine), "the engine was disposed before this request ran"));
    }

    /// <summary>Drops cancelled sequences and moves waiting ones into the running set while there is room.</summary>
    private void Admit()
    {
        lock (_incoming)
            while (_incoming.TryDequeue(out var s)) _waiting.Add(s);
        foreach (var s in _running
            .Concat(_waiting)
            .Where(s => s.Cancellation.IsCancellationRequested || s.Abandoned)
            .ToArray())
            Finish(s, StopReason.Cancelled, "cancelled by the caller");
        while (_waiting.Count > 0 && _running.Count < Options.MaxSequences)
        {
            var s = _waiting[0];
            _waiting.RemoveAt(0);
            if (Options.PrefixCaching) s.ReusePrefix(Pool);
            if (s.Generated == 0) ReusedPromptTokens += s.ReusedPromptTokens;
            if (!s.Clock.IsRunning) s.Clock.Start();
            _running.Add(s);
        }
        PublishCounts();
    }

    private void PublishCounts()
    {
        int incoming;
        lock (_incoming) incoming = _incoming.Count;
        Volatile.Write(ref _runningCount, _running.Count);
        Volatile.Write(ref _waitingCount, _waiting.Count + incoming);
    }

    /// <summary>Plans, runs and consumes one model step.</summary>
    private void Step()
    {
        Plan();
        if (_plan.Count == 0) return;
        _batch.Clear();
        int logitRows = 0;
        for (int i = 0; i < _plan.Count; i++)
        {
            var (s, take) = _plan[i];
            while (s.BlocksToGrow(take, Pool.BlockSize) > 0) s.AddBlock(Pool.Allocate());
            var table = _batch.BlockTable(i);
            for (int b = 0; b < s.Blocks.Count; b++) table[b] = s.Blocks[b];
            for (int p = s.Computed; p < s.Computed + take; p++)
            {
                bool last = p == s.Tokens.Count - 1;
                _batch.Add(s.Tokens[p], p, s.Blocks[p / Pool.BlockSize] * Pool.BlockSize + p % Pool.BlockSize, i, last);
                if (last) logitRows++;
            }
        }
        int v = _model.Config.VocabSize;
        long started = Stopwatch.GetTimestamp();
        if (!_model.Step(_batch, _storage, _logits.AsSpan(0, logitRows * v), _abandonStep)) return;
        MeasurePromptStep(Stopwatch.GetElapsedTime(started));

        int row = 0;
        foreach (var (s, take) in _plan)
        {
            bool sampled = s.Computed + take == s.Tokens.Count;
            if (s.Generated == 0) ComputedPromptTokens += take;
            s.Computed += take;
            if (Options.PrefixCaching) s.RegisterFullBlocks(Pool);
            if (s.Generated == 0)
                s.Request.PrefillProgress?.Invoke(Math.Min(s.Computed, s.PromptLength), s.PromptLength);
            if (!sampled) continue;
            var logits = _logits.AsSpan(row++ * v, v);
            s.Request.Constraint?.Apply(CollectionsMarshal.AsSpan(s.Tokens)[s.PromptLength..], logits);
            int id = _sampler.Sample(logits, s.Request.Sampling, ref s.Random);
            Advance(s, id, s.Request.TopLogProbs is int top ? TokenLogProbs.Of(logits, id, top) : null);
        }
    }

    /// <summary>Prompt tokens one step may compute: <see cref="EngineOptions.MaxStepTokens"/>, cut so that one layer of
    /// the step takes about <see cref="EngineOptions.StopLatency"/> at the rate the prompt chunks so far ran.</summary>
    private int PromptBudget()
    {
        if (Options.StopLatency is not { } latency || _layerSecondsPerPromptToken <= 0) return Options.MaxStepTokens;
        double tokens = latency.TotalSeconds / _layerSecondsPerPromptToken;
        return (int)Math.Clamp(tokens, 1, Options.MaxStepTokens);
    }

    /// <summary>Updates the per-token layer time from a step that computed a prompt chunk (decode-only steps are
    /// bound by reading weights, not by their token count, and would overstate it).</summary>
    private void MeasurePromptStep(TimeSpan elapsed)
    {
        int promptTokens = 0;
        foreach (var (s, take) in _plan)
            if (take > 1 || s.Computed < s.PromptLength - 1) promptTokens += take;
        if (promptTokens < 2) return;
        double perToken = elapsed.TotalSeconds / _model.Config.NumHiddenLayers / _batch.Count;
        _layerSecondsPerPromptToken = _layerSecondsPerPromptToken <= 0
            ? perToken
            : 0.5 * (_layerSecondsPerPromptToken + perToken);
    }

    private double _layerSecondsPerPromptToken;

    /// <summary>Chooses how many tokens each running sequence computes this step, preempting while blocks run
    /// short.</summary>
    private void Plan()
    {
        while (true)
        {
            _plan.Clear();
            int budget = PromptBudget(), blocks = 0;
            foreach (var s in _running.OrderBy(s => s.Pending > 1 ? 1 : 0).ThenBy(s => s.Id))
            {
                int take = Math.Min(s.Pending, s.Pending == 1 ? 1 : budget);
                if (take == 0) continue;
                if (s.Pending > 1) budget -= take;
                _plan.Add((s, take));
                blocks += s.BlocksToGrow(take, Pool.BlockSize);
            }
            if (blocks <= Pool.Available) return;
            if (_running.Count > 1)
            {
                Preempt(_running.MaxBy(s => s.Id)!);
                continue;
            }
            var only = _running[0];
            int fit = (only.Blocks.Count + Pool.Available) * Pool.BlockSize - only.Computed;
            if (fit >= 1)
            {
                _plan.Clear();
                _plan.Add((only, Math.Min(fit, only.Pending)));
                return;
            }
            Finish(only, StopReason.CacheFull,
                $"the KV cache ({CacheTokens} tokens in {Pool.Blocks} blocks of {Pool.BlockSize}) cannot hold more "
                + $"than this sequence's {only.Computed} tokens");
            _plan.Clear();
            return;
        }
    }

    /// <summary>Releases a sequence's blocks and sends it back to the head of the waiting line; it recomputes (or finds
    /// cached) its tokens later.</summary>
    private void Preempt(Sequence s)
    {
        s.ReleaseBlocks(Pool);
        _running.Remove(s);
        _waiting.Insert(0, s);
    }

    /// <summary>Appends a sampled token, streams its text, and finishes the sequence when a stop condition
    /// holds.</summary>
    private void Advance(Sequence s, int id, TokenLogProbs? logProbs)
    {
        if (s.Generated == 0) s.PrefillTime = s.Clock.Elapsed;
        s.Tokens.Add(id);
        Interlocked.Increment(ref _generatedTokens);
        if (_stopIds.Contains(id) || s.Request.StopTokenIds.Contains(id))
        {
            s.Output.Writer.TryWrite(new GenerationUpdate(id, "", null, logProbs));
            Finish(s, StopReason.EndOfSequence, null);
            return;
        }
        string text = s.Stops.Push(s.Decoder.Push(id));
        s.Output.Writer.TryWrite(new GenerationUpdate(id, text, null, logProbs));
        if (s.Stops.Stopped) Finish(s, StopReason.StopString, null);
        else if (s.Generated >= s.Request.MaxTokens) Finish(s, StopReason.MaxTokens, null);
        else if (s.Tokens.Count >= ContextLength)
            Finish(s, StopReason.ContextFull, $"the sequence reached the context length of {ContextLength} tokens");
    }

    private void Finish(Sequence s, StopReason reason, string? detail)
    {
        if (reason is not (StopReason.EndOfSequence or StopReason.StopString or StopReason.Cancelled))
        {
            string rest = s.Stops.Push(s.Decoder.Flush()) + s.Stops.Flush();
            if (rest.Length > 0) s.Output.Writer.TryWrite(new GenerationUpdate(-1, rest, null));
        }
        var elapsed = s.Clock.Elapsed;
        var prefill = s.Generated > 0 ? s.PrefillTime : elapsed;
        var result = new GenerationResult(
            reason, s.PromptLength, s.ReusedPromptTokens, s.Generated, prefill, elapsed - prefill, detail);
        s.Output.Writer.TryWrite(new GenerationUpdate(-1, "", result));
        s.Output.Writer.TryComplete();
        Retire(s);
    }

    private void Fail(Sequence s, Exception error)
    {
        s.Output.Writer.TryComplete(error);
        Retire(s);
    }

    private void Retire(Sequence s)
    {
        s.ReleaseBlocks(Pool);
        _running.Remove(s);
        _waiting.Remove(s);
        PublishCounts();
        s.Released.TrySetResult();
    }
}

// One generation inside the engine: its tokens (prompt, then generated), the KV blocks that hold their cache
// entries, how many of them are computed, and the streaming state that turns new ids into text. Full blocks
// are registered in the prefix cache as soon as they are computed, so a later request can reuse them even
// while this one is still running.
using System.Diagnostics;
using System.Threading.Channels;
using K2Native.Numerics;
using K2Native.Text;

namespace K2Native.Runtime;

internal sealed class Sequence
{
    private readonly List<int> _blocks = [];
    private ulong _lastHash = BlockHash.Root;
    private int _hashedBlocks;
    private SplitMix64 _random;

    public Sequence(long id, GenerationRequest request, StreamingDecoder decoder, CancellationToken cancellation)
    {
        Id = id;
        Request = request;
        Tokens = [.. request.PromptTokens];
        PromptLength = Tokens.Count;
        Decoder = decoder;
        Stops = new StopStringMatcher(request.StopStrings);
        _random = new SplitMix64(request.Sampling.Seed ?? (ulong)System.Random.Shared.NextInt64());
        Cancellation = cancellation;
    }

    public long Id { get; }

    public GenerationRequest Request { get; }

    public List<int> Tokens { get; }

    public int PromptLength { get; }

    /// <summary>Tokens whose cache entries are written.</summary>
    public int Computed { get; set; }

    /// <summary>Prompt tokens found in the prefix cache at admission.</summary>
    public int ReusedPromptTokens { get; set; }

    public int Generated => Tokens.Count - PromptLength;

    public IReadOnlyList<int> Blocks => _blocks;

    public StreamingDecoder Decoder { get; }

    public StopStringMatcher Stops { get; }

    public Channel<GenerationUpdate> Output { get; } = Channel.CreateUnbounded<GenerationUpdate>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });

    public CancellationToken Cancellation { get; }

    /// <summary>Set by the reader when it stops reading before the end (break, dispose, cancellation).</summary>
    public volatile bool Abandoned;

    /// <summary>Completed once the engine has released this sequence's blocks for good.</summary>
    public TaskCompletionSource Released { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Stopwatch Clock { get; } = new();

    public TimeSpan PrefillTime { get; set; }

    public ref SplitMix64 Random => ref _random;

    /// <summary>Tokens still to compute before the next token can be sampled (1 while decoding).</summary>
    public int Pending => Tokens.Count - Computed;

    /// <summary>Takes the longest run of full prompt blocks that the prefix cache holds (always leaving one token to
    /// compute).</summary>
    public void ReusePrefix(KvBlockPool pool)
    {
        int b = pool.BlockSize;
        while ((_blocks.Count + 1) * b <= Tokens.Count - 1)
        {
            var tokens = BlockTokens(_blocks.Count, b);
            int block = pool.Lookup(_lastHash, tokens);
            if (block < 0) break;
            _lastHash = BlockHash.Next(_lastHash, tokens);
            _blocks.Add(block);
            _hashedBlocks++;
        }
        Computed = _blocks.Count * b;
        ReusedPromptTokens = Math.Min(Computed, PromptLength);
    }

    /// <summary>Blocks needed beyond those held to compute the next <paramref name="tokens"/> tokens.</summary>
    public int BlocksToGrow(int tokens, int blockSize) => Math.Max(
        0, (Computed + tokens + blockSize - 1) / blockSize - _blocks.Count);

    public void AddBlock(int block) => _blocks.Add(block);

    /// <summary>Registers every block that became full and computed.</summary>
    public void RegisterFullBlocks(KvBlockPool pool)
    {
        int b = pool.BlockSize;
        while ((_hashedBlocks + 1) * b <= Computed)
        {
            _lastHash = pool.Register(_blocks[_hashedBlocks], _lastHash, BlockTokens(_hashedBlocks, b));
            _hashedBlocks++;
        }
    }

    /// <summary>Drops every block reference (blocks that are registered stay findable in the prefix cache).</summary>
    public void ReleaseBlocks(KvBlockPool pool)
    {
        foreach (int block in _blocks) pool.Release(block);
        _blocks.Clear();
        _hashedBlocks = 0;
        _lastHash = BlockHash.Root;
        Computed = 0;
    }

    private ReadOnlySpan<int> BlockTokens(int block, int blockSize) =>
        System.Runtime.InteropServices.CollectionsMarshal.AsSpan(Tokens).Slice(block * blockSize, blockSize);
}

// Bookkeeping of the paged KV cache's blocks (the backend only stores entries): a free list, reference counts,
// and prefix caching. A full block that has been computed is registered under the chained hash of the tokens
// up to and including it (BlockHash); a later sequence that starts with the same tokens finds it and shares it
// instead of recomputing it. A block nobody references stays findable until it is needed for something else:
// unreferenced registered blocks form an LRU list, and allocation takes never-registered free blocks first,
// then evicts the least recently used registered one. Every operation is O(1) and allocation-free.
namespace K2Native.Runtime;

/// <summary>Block allocation, reference counts and the prefix cache of a paged KV cache. Not thread-safe.</summary>
public sealed class KvBlockPool
{
    private const int None = -1;

    private readonly int[] _refCount;
    private readonly ulong[] _hash;
    private readonly ulong[] _parentHash;
    private readonly bool[] _registered;
    private readonly int[] _tokens;              // [block, BlockSize]: the tokens a registered block holds
    private readonly int[] _lruPrev;
    private readonly int[] _lruNext;
    private readonly Stack<int> _free;
    private readonly Dictionary<ulong, int> _byHash = [];
    private int _lruHead = None;                  // least recently used
    private int _lruTail = None;

    public KvBlockPool(int blocks, int blockSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(blocks, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSize, 1);
        Blocks = blocks;
        BlockSize = blockSize;
        Available = blocks;
        _refCount = new int[blocks];
        _hash = new ulong[blocks];
        _parentHash = new ulong[blocks];
        _registered = new bool[blocks];
        _tokens = new int[(long)blocks * blockSize];
        _lruPrev = new int[blocks];
        _lruNext = new int[blocks];
        _free = new Stack<int>(blocks);
        for (int b = blocks - 1; b >= 0; b--) _free.Push(b);
        _byHash.EnsureCapacity(blocks);
    }

    public int Blocks { get; }

    public int BlockSize { get; }

    /// <summary>Blocks that an allocation can still get: never-registered free ones plus unreferenced cached
    /// ones.</summary>
    public int Available { get; private set; }

    /// <summary>Blocks referenced by at least one sequence.</summary>
    public int InUse => Blocks - Available;

    /// <summary>Unreferenced blocks that still hold a reusable prefix.</summary>
    public int Cached { get; private set; }

    /// <summary>Blocks found in the prefix cache since creation.</summary>
    public long Hits { get; private set; }

    /// <summary>Registered blocks evicted to make room.</summary>
    public long Evictions { get; private set; }

    /// <summary>Reference count of <paramref name="block"/>.</summary>
    public int References(int block) => _refCount[block];

    /// <summary>A block for new entries, referenced once; -1 when every block is referenced.</summary>
    public int Allocate()
    {
        int block;
        if (_free.Count > 0)
        {
            block = _free.Pop();
        }
        else if (_lruHead != None)
        {
            block = _lruHead;
            Unlink(block);
            Forget(block);
            Cached--;
            Evictions++;
        }
        else
        {
            return None;
        }
        _refCount[block] = 1;
        Available--;
        return block;
    }

    /// <summary>Drops one reference; an unreferenced block becomes free (or cached, if registered).</summary>
    public void Release(int block)
    {
        if (_refCount[block] <= 0)
            throw new InvalidOperationException($"KV block {block} released more often than it was taken");
        if (--_refCount[block] > 0) return;
        Available++;
        if (_registered[block])
        {
            Append(block);
            Cached++;
        }
        else
        {
            _free.Push(block);
        }
    }

    /// <summary>
    /// The registered block holding <paramref name="tokens"/> after the prefix whose chained hash is
    /// <paramref name="parentHash"/>, referenced once more; -1 if there is none. The stored tokens and parent hash are
    /// compared, so a hash collision cannot hand out a wrong block.
    /// </summary>
    public int Lookup(ulong parentHash, ReadOnlySpan<int> tokens)
    {
        if (tokens.Length != BlockSize)
            throw new ArgumentException($"a block holds {BlockSize} tokens, got {tokens.Length}");
        ulong hash = BlockHash.Next(parentHash, tokens);
        if (!_byHash.TryGetValue(hash, out int block) || _parentHash[block] != parentHash
            || !_tokens.AsSpan(block * BlockSize, BlockSize).SequenceEqual(tokens))
            return None;
        if (_refCount[block]++ == 0)
        {
            Unlink(block);
            Cached--;
            Available--;
        }
        Hits++;
        return block;
    }

    /// <summary>Records that <paramref name="block"/> (referenced by the caller) now holds the full block
    /// <paramref name="tokens"/> after <paramref name="parentHash"/>; returns its hash.</summary>
    public ulong Register(int block, ulong parentHash, ReadOnlySpan<int> tokens)
    {
        if (tokens.Length != BlockSize)
            throw new ArgumentException($"a block holds {BlockSize} tokens, got {tokens.Length}");
        if (_refCount[block] <= 0)
            throw new InvalidOperationException($"KV block {block} is registered while unreferenced");
        ulong hash = BlockHash.Next(parentHash, tokens);
        if (_registered[block] || _byHash.ContainsKey(hash)) return hash;   // an equal block is already findable
        _registered[block] = true;
        _hash[block] = hash;
        _parentHash[block] = parentHash;
        tokens.CopyTo(_tokens.AsSpan(block * BlockSize, BlockSize));
        _byHash.Add(hash, block);
        return hash;
    }

    /// <summary>Drops every unreferenced cached block from the prefix cache.</summary>
    public void ClearCache()
    {
        while (_lruHead != None)
        {
            int block = _lruHead;
            Unlink(block);
            Forget(block);
            Cached--;
            _free.Push(block);
        }
    }

    private void Forget(int block)
    {
        _byHash.Remove(_hash[block]);
        _registered[block] = false;
    }

    private void Append(int block)
    {
        _lruPrev[block] = _lruTail;
        _lruNext[block] = None;
        if (_lruTail != None) _lruNext[_lruTail] = block;
        else _lruHead = block;
        _lruTail = block;
    }

    private void Unlink(int block)
    {
        int prev = _lruPrev[block], next = _lruNext[block];
        if (prev != None) _lruNext[prev] = next;
        else _lruHead = next;
        if (next != None) _lruPrev[next] = prev;
        else _lruTail = prev;
    }
}

// The BPE vocabulary as one byte blob plus an open-addressing hash table keyed by byte spans, so that the
// merge loop looks ranks up without allocating. With K2's 163,584 ranks the table (8 MiB) is larger than the
// core's caches and memory accesses dominate merging, so: each slot holds the token's first 8 bytes and its
// length (tokens of up to 8 bytes never touch the blob), a bit filter (256 KiB) answers most misses without
// touching the table, and single bytes and byte pairs, where every merge starts, have direct tables.
// Thread-safe once built.
using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace K2Native.Text;

internal sealed class RankTable
{
    private readonly byte[] _blob;
    private readonly int[] _offsets;   // rank -> start in _blob; _offsets[Count] = _blob.Length
    private readonly Slot[] _slots;
    private readonly int _mask;
    private readonly ulong[] _filter;   // one bit per hash value's top bits: most misses end here, in cache
    private readonly int _filterShift;
    private readonly int[] _byteRank = new int[256];
    private readonly int[] _bytePairRank = new int[256 * 256];   // merging starts from pairs of bytes: no hashing

    private struct Slot
    {
        public ulong Prefix;   // the first (up to) 8 bytes, little-endian, zero-padded
        public int RankPlusOne; // 0: empty
        public int Length;
    }

    /// <summary>Builds the table; <paramref name="tokens"/>[rank] are the token's bytes, all distinct.</summary>
    public RankTable(IReadOnlyList<byte[]> tokens)
    {
        Count = tokens.Count;
        _offsets = new int[Count + 1];
        long total = 0;
        for (int r = 0; r < Count; r++) total += tokens[r].Length;
        if (total > Array.MaxLength)
            throw new ArgumentException($"the vocabulary holds {total} bytes of tokens, more than one array can");
        _blob = new byte[total];
        for (int r = 0, at = 0; r < Count; r++)
        {
            _offsets[r] = at;
            tokens[r].CopyTo(_blob, at);
            at += tokens[r].Length;
            _offsets[r + 1] = at;
        }

        // Load factor at most 0.5, so that probe runs (misses above all) stay short.
        _slots = new Slot[(int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(16, Count * 2))];
        _mask = _slots.Length - 1;
        // About 12 filter bits per token (a 256 KiB filter for K2), so roughly 1 miss in 12 gets past it.
        int filterBits = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(64, Count * 12));
        _filter = new ulong[filterBits / 64];
        _filterShift = 32 - BitOperations.Log2((uint)filterBits);
        for (int r = 0; r < Count; r++)
        {
            var bytes = Bytes(r);
            ulong prefix = Prefix(bytes);
            uint hash = Hash(bytes, prefix);
            uint bit = hash >> _filterShift;
            _filter[bit >> 6] |= 1UL << (int)(bit & 63);
            int slot = (int)hash & _mask;
            while (_slots[slot].RankPlusOne != 0) slot = (slot + 1) & _mask;
            _slots[slot] = new Slot { Prefix = prefix, RankPlusOne = r + 1, Length = bytes.Length };
        }
        for (int b = 0; b < 256; b++) _byteRank[b] = RankOf([(byte)b]);
        for (int pair = 0; pair < _bytePairRank.Length; pair++)
            _bytePairRank[pair] = RankOf([(byte)(pair >> 8), (byte)pair]);
    }

    public int Count { get; }

    public ReadOnlySpan<byte> Bytes(int rank) => _blob.AsSpan(_offsets[rank], _offsets[rank + 1] - _offsets[rank]);

    /// <summary>The rank of a single byte, or -1.</summary>
    public int RankOfByte(byte b) => _byteRank[b];

    /// <summary>The rank of two bytes, or -1.</summary>
    public int RankOfPair(byte first, byte second) => _bytePairRank[first << 8 | second];

    /// <summary>The rank of exactly these bytes, or -1.</summary>
    public int RankOf(ReadOnlySpan<byte> key)
    {
        ulong prefix = Prefix(key);
        uint hash = Hash(key, prefix);
        uint bit = hash >> _filterShift;
        if ((_filter[bit >> 6] & (1UL << (int)(bit & 63))) == 0) return -1;
        int slot = (int)hash & _mask;
        while (true)
        {
            ref readonly Slot entry = ref _slots[slot];
            if (entry.RankPlusOne == 0) return -1;
            if (entry.Prefix == prefix && entry.Length == key.Length
                && (key.Length <= 8
                    || _blob.AsSpan(_offsets[entry.RankPlusOne - 1] + 8, key.Length - 8).SequenceEqual(key[8..])))
                return entry.RankPlusOne - 1;
            slot = (slot + 1) & _mask;
        }
    }

    // The first min(8, length) bytes as a little-endian number, read with at most two loads.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Prefix(ReadOnlySpan<byte> key)
    {
        int n = key.Length;
        if (n >= 8) return BinaryPrimitives.ReadUInt64LittleEndian(key);
        if (n >= 4)
            return BinaryPrimitives.ReadUInt32LittleEndian(key) | (ulong)BinaryPrimitives.ReadUInt32LittleEndian(
                key[(n - 4)..]) << (8 * (n - 4));
        if (n >= 2) return BinaryPrimitives.ReadUInt16LittleEndian(key) | (ulong)key[n - 1] << (8 * (n - 1));
        return n == 1 ? key[0] : 0UL;
    }

    // A multiply-rotate hash; tokens are short, so most keys are their prefix alone.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Hash(ReadOnlySpan<byte> key, ulong prefix)
    {
        const ulong K = 0x9E3779B97F4A7C15;
        ulong h = (prefix ^ (ulong)key.Length << 59) * K;
        for (int i = 8; i < key.Length; i += 8)
        {
            var rest = key[i..];
            ulong word = rest.Length >= 8 ? BinaryPrimitives.ReadUInt64LittleEndian(rest) : Prefix(rest);
            h = BitOperations.RotateLeft(h, 29) ^ word;
            h *= K;
        }
        h ^= h >> 32;
        h *= 0xD6E8FEB86659FD93;
        return (uint)(h ^ (h >> 32));
    }
}

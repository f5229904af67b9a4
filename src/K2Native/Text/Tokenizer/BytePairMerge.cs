// Byte-pair merging of one piece, exactly as tiktoken does it: repeatedly merge the adjacent pair whose
// concatenation has the lowest rank (the leftmost one on ties) until no pair is a token. Short pieces use
// tiktoken's simple quadratic scan over a stack array; long ones a min-heap of (rank, position) over a linked
// list of parts, O(n log n), so a megabyte of one repeated character stays fast.
using System.Buffers;

namespace K2Native.Text;

internal static class BytePairMerge
{
    /// <summary>Pieces up to this many bytes use the quadratic scan (it wins below this size).</summary>
    public const int ShortPiece = 96;

    /// <summary>Appends the ranks of <paramref name="piece"/> (not itself a token) to
    /// <paramref name="output"/>.</summary>
    public static void Encode(RankTable ranks, ReadOnlySpan<byte> piece, List<int> output)
    {
        if (piece.Length <= ShortPiece) EncodeShort(ranks, piece, output);
        else EncodeLong(ranks, piece, output);
    }

    private static void EncodeShort(RankTable ranks, ReadOnlySpan<byte> piece, List<int> output)
    {
        // starts[k] is where part k begins (starts[count] = piece end); partRank[k] is part k's rank and
        // pairRank[k] the rank of parts k and k+1 joined (-1: not a token).
        Span<int> starts = stackalloc int[piece.Length + 1];
        Span<int> partRank = stackalloc int[piece.Length];
        Span<int> pairRank = stackalloc int[piece.Length];
        int count = piece.Length;
        for (int k = 0; k < count; k++)
        {
            starts[k] = k;
            partRank[k] = ranks.RankOfByte(piece[k]);
            if (k + 1 < count) pairRank[k] = ranks.RankOfPair(piece[k], piece[k + 1]);
        }
        starts[count] = count;

        while (count > 1)
        {
            int best = -1, bestRank = int.MaxValue;
            for (int k = 0; k + 1 < count; k++)
                if ((uint)pairRank[k] < (uint)bestRank) { bestRank = pairRank[k]; best = k; }
            if (best < 0) break;

            // Part best+1 joins part best.
            starts[(best + 2)..(count + 1)].CopyTo(starts[(best + 1)..]);
            partRank[(best + 2)..count].CopyTo(partRank[(best + 1)..]);
            if (best + 2 < count) pairRank[(best + 2)..(count - 1)].CopyTo(pairRank[(best + 1)..]);
            count--;
            partRank[best] = bestRank;
            if (best + 1 < count) pairRank[best] = Rank(ranks, piece, starts[best], starts[best + 2]);
            if (best > 0) pairRank[best - 1] = Rank(ranks, piece, starts[best - 1], starts[best + 1]);
        }
        for (int k = 0; k < count; k++) output.Add(partRank[k]);
    }

    private static void EncodeLong(RankTable ranks, ReadOnlySpan<byte> piece, List<int> output)
    {
        int n = piece.Length;
        // Parts are named by their first byte; next[i] is where the following part starts (n at the end),
        // partRank[i] is the part's rank and pairRank[i] that of the part joined with the next (-1: none).
        int[] next = ArrayPool<int>.Shared.Rent(n);
        int[] prev = ArrayPool<int>.Shared.Rent(n);
        int[] partRank = ArrayPool<int>.Shared.Rent(n);
        int[] pairRank = ArrayPool<int>.Shared.Rent(n);
        var heap = new MinHeap(n);
        try
        {
            for (int i = 0; i < n; i++)
            {
                next[i] = i + 1;
                prev[i] = i - 1;
                partRank[i] = ranks.RankOfByte(piece[i]);
                pairRank[i] = i + 1 < n ? ranks.RankOfPair(piece[i], piece[i + 1]) : -1;
                if (pairRank[i] >= 0) heap.Push(pairRank[i], i);
            }

            while (heap.TryPop(out int rank, out int i))
            {
                // Stale entries: the part was absorbed (its pair rank reset to -1) or its pair changed.
                if (pairRank[i] != rank) continue;
                int absorbed = next[i];
                int after = next[absorbed];
                next[i] = after;
                if (after < n) prev[after] = i;
                partRank[i] = rank;
                pairRank[absorbed] = -1;
                pairRank[i] = after < n ? Rank(ranks, piece, i, next[after]) : -1;
                if (pairRank[i] >= 0) heap.Push(pairRank[i], i);
                int left = prev[i];
                if (left >= 0)
                {
                    pairRank[left] = Rank(ranks, piece, left, after);
                    if (pairRank[left] >= 0) heap.Push(pairRank[left], left);
                }
            }
            for (int i = 0; i < n; i = next[i]) output.Add(partRank[i]);
        }
        finally
        {
            heap.Dispose();
            ArrayPool<int>.Shared.Return(next);
            ArrayPool<int>.Shared.Return(prev);
            ArrayPool<int>.Shared.Return(partRank);
            ArrayPool<int>.Shared.Return(pairRank);
        }
    }

    private static int Rank(RankTable ranks, ReadOnlySpan<byte> piece, int start, int end) => ranks.RankOf(
        piece[start..end]);

    // A binary min-heap of (rank, position) packed in a long, so the order is by rank, then leftmost position.
    private struct MinHeap(int capacity) : IDisposable
    {
        private long[] _items = ArrayPool<long>.Shared.Rent(Math.Max(capacity, 16));
        private int _count;

        public void Push(int rank, int position)
        {
            if (_count == _items.Length)
            {
                var bigger = ArrayPool<long>.Shared.Rent(_items.Length * 2);
                _items.AsSpan(0, _count).CopyTo(bigger);
                ArrayPool<long>.Shared.Return(_items);
                _items = bigger;
            }
            long item = ((long)rank << 32) | (uint)position;
            int at = _count++;
            while (at > 0)
            {
                int parent = (at - 1) >> 1;
                if (_items[parent] <= item) break;
                _items[at] = _items[parent];
                at = parent;
            }
            _items[at] = item;
        }

        public bool TryPop(out int rank, out int position)
        {
            if (_count == 0)
            {
                rank = position = 0;
                return false;
            }
            long top = _items[0];
            long last = _items[--_count];
            int at = 0;
            while (true)
            {
                int child = 2 * at + 1;
                if (child >= _count) break;
                if (child + 1 < _count && _items[child + 1] < _items[child]) child++;
                if (_items[child] >= last) break;
                _items[at] = _items[child];
                at = child;
            }
            _items[at] = last;
            rank = (int)(top >> 32);
            position = (int)top;
            return true;
        }

        public readonly void Dispose() => ArrayPool<long>.Shared.Return(_items);
    }
}

// Paged absorbed attention against a plain double-precision softmax over the same entries, with awkward shapes
// (head counts that are not multiples of 4, latent widths that are not multiples of 16, key counts around the
// tile and chunk sizes, block size 1, bf16 entries), every SIMD width; and bitwise equality of a token's result
// whether it runs alone (chunks in parallel) or in a large batch (chunks in sequence).
using K2Native.Backends;
using K2Native.Backends.Cpu;
using K2Native.Tests.Support;

namespace K2Native.Tests.Backends.Cpu;

public sealed class PagedAttentionTests
{
    public static TheoryData<SimdWidth> Widths() => new(Simd.Supported());

    private static readonly (int Heads, int Rkv, int Rope, int Block, int[] Keys)[] Shapes =
    [
        (4, 32, 16, 16, [1, 31, 32, 33, 300]),
        (6, 32, 16, 7, [5, 64, 257, 700]),
        (3, 48, 16, 1, [1, 2, 40]),
        (9, 20, 8, 16, [17, 129]),
        (1, 16, 16, 64, [1, 513, 2000]),
        (64, 64, 16, 16, [100, 600]),
    ];

    [Theory]
    [MemberData(nameof(Widths))]
    public void MatchesAPlainSoftmax(SimdWidth width)
    {
        foreach (var dtype in new[] { KvCacheDType.F32, KvCacheDType.Bf16 })
        foreach (var (heads, rkv, rope, block, keyCounts) in Shapes)
        {
            var c = new Case(heads, rkv, rope, block, keyCounts, dtype, width);
            var output = c.Run(keyCounts.Length);
            for (int t = 0; t < keyCounts.Length; t++)
            {
                var expected = c.Reference(t);
                double error = TestData.RelativeL2(output.AsSpan(t * heads * rkv, heads * rkv), expected);
                Assert.True(
                    error < 2e-6,
                    $"heads {heads}, rkv {rkv}, rope {rope}, block {block}, keys {keyCounts[t]}, {dtype}, {width}: "
                    + $"relative L2 {error:E2}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void ATokenGetsTheSameBitsAloneAndInABatch(SimdWidth width)
    {
        foreach (var (heads, rkv, rope, block, keyCounts) in Shapes)
        {
            // enough tokens for the sequential mode
            int[] batchKeys = [.. keyCounts, .. keyCounts, .. keyCounts, .. keyCounts];
            var c = new Case(heads, rkv, rope, block, batchKeys, KvCacheDType.F32, width);
            var together = c.Run(batchKeys.Length);
            for (int t = 0; t < keyCounts.Length; t++)
            {
                var alone = c.Run(1, firstToken: t);
                for (int i = 0; i < alone.Length; i++)
                    Assert.True(
                        BitConverter.SingleToInt32Bits(alone[i])
                        == BitConverter.SingleToInt32Bits(together[t * heads * rkv + i]),
                        $"heads {heads}, rkv {rkv}, keys {keyCounts[t]}, {width}: element {i} alone {alone[i]:R}, "
                        + $"in the batch {together[t * heads * rkv + i]:R}");
            }
        }
    }

    /// <summary>One sequence per token, each with its own keys, blocks laid out backwards in the pool.</summary>
    private sealed class Case
    {
        private readonly int _heads, _rkv, _rope, _block;
        private readonly int[] _keys;
        private readonly CpuBackend _backend;
        private readonly KvCacheStorage _cache;
        private readonly float[][] _entries;     // per token: [keys, rkv + rope] as stored (bf16-rounded when bf16)
        private readonly float[] _qLatent, _q;
        private readonly int[] _tables;
        private readonly int _stride;
        private readonly AttentionShape _shape;

        public Case(int heads, int rkv, int rope, int block, int[] keys, KvCacheDType dtype, SimdWidth width)
        {
            (_heads, _rkv, _rope, _block, _keys) = (heads, rkv, rope, block, keys);
            _backend = new CpuBackend(width);
            _shape = new AttentionShape(heads, 8, rope, 8, 0.3f / MathF.Sqrt(rkv));
            _stride = keys.Max() / block + 1;
            int blocks = _stride * keys.Length;
            _cache = _backend.NewKvCache(new KvCacheLayout(1, blocks, block, rkv, rope, dtype));
            _tables = new int[keys.Length * _stride];
            for (int i = 0; i < _tables.Length; i++) _tables[i] = blocks - 1 - i;
            _entries = new float[keys.Length][];
            for (int t = 0; t < keys.Length; t++)
            {
                var latent = TestData.RandomFloats(keys[t] * rkv, (ulong)(t * 31 + 1), 1f);
                var kpe = TestData.RandomFloats(keys[t] * rope, (ulong)(t * 31 + 2), 1f);
                using var l = _backend.NewTensor(keys[t], rkv);
                using var r = _backend.NewTensor(keys[t], rope);
                _backend.Write(l, latent);
                _backend.Write(r, kpe);
                var slots = Enumerable.Range(0, keys[t])
                    .Select(s => _tables[t * _stride + s / block] * block + s % block)
                    .ToArray();
                _backend.WriteKv(_cache, 0, l, r, slots);
                _entries[t] = new float[keys[t] * (rkv + rope)];
                for (int s = 0; s < keys[t]; s++)
                {
                    for (int i = 0; i < rkv; i++)
                        _entries[t][s * (rkv + rope) + i] = Stored(latent[s * rkv + i], dtype);
                    for (int i = 0; i < rope; i++)
                        _entries[t][s * (rkv + rope) + rkv + i] = Stored(kpe[s * rope + i], dtype);
                }
            }
            _qLatent = TestData.RandomFloats(keys.Length * heads * rkv, 77, 1f);
            _q = TestData.RandomFloats(keys.Length * heads * _shape.QueryHeadDim, 78, 1f);
        }

        /// <summary>oLatent of tokens [firstToken, firstToken + count).</summary>
        public float[] Run(int count, int firstToken = 0)
        {
            var batch = new AttentionBatch(new int[count], new int[count], _tables, _stride) { Tokens = count };
            for (int i = 0; i < count; i++)
            {
                batch.TokenSequence[i] = firstToken + i;
                batch.KeyCounts[i] = _keys[firstToken + i];
            }
            using var qLatent = _backend.NewTensor(count, _heads * _rkv);
            using var q = _backend.NewTensor(count, _heads * _shape.QueryHeadDim);
            using var o = _backend.NewTensor(count, _heads * _rkv);
            _backend.Write(qLatent, _qLatent.AsSpan(firstToken * _heads * _rkv, count * _heads * _rkv));
            _backend.Write(
                q, _q.AsSpan(firstToken * _heads * _shape.QueryHeadDim, count * _heads * _shape.QueryHeadDim));
            _backend.PagedAttention(qLatent, q, _cache, 0, batch, _shape, o);
            var result = new float[count * _heads * _rkv];
            _backend.Read(o, result);
            return result;
        }

        public double[] Reference(int t)
        {
            int width = _rkv + _rope, keys = _keys[t];
            var output = new double[_heads * _rkv];
            for (int h = 0; h < _heads; h++)
            {
                var scores = new double[keys];
                for (int s = 0; s < keys; s++)
                {
                    double dot = 0;
                    for (int i = 0; i < _rkv; i++)
                        dot += (double)_qLatent[(t * _heads + h) * _rkv + i] * _entries[t][s * width + i];
                    for (int i = 0; i < _rope; i++)
                        dot += (double)_q[(t * _heads + h) * _shape.QueryHeadDim + _shape.NopeDim + i]
                            * _entries[t][s * width + _rkv + i];
                    scores[s] = dot * _shape.SoftmaxScale;
                }
                double max = scores.Max(), sum = scores.Sum(x => Math.Exp(x - max));
                for (int s = 0; s < keys; s++)
                {
                    double p = Math.Exp(scores[s] - max) / sum;
                    for (int i = 0; i < _rkv; i++) output[h * _rkv + i] += p * _entries[t][s * width + i];
                }
            }
            return output;
        }

        private static float Stored(float v, KvCacheDType dtype) =>
            dtype == KvCacheDType.F32 ? v : K2Native.Numerics.Bf16.ToFloat(K2Native.Numerics.Bf16.FromFloat(v));
    }
}

// The arithmetic of paged MLA attention for one token over a range of keys (PagedAttentionKernel.cs drives
// it): keys are fetched a tile at a time through the block table (bf16 entries widened once per tile), the
// scores of every head over the tile are formed, an online softmax folds the tile into the running
// (max, sum, Σ p·c) partial, and partials of key ranges merge. With Vector512 and dimensions that are
// multiples of 16, scores come in blocks of 4 heads x 4 keys (each loaded vector feeds four multiply-adds)
// and the weighted sums in blocks of 4 heads; every score and every sum element is computed by the same
// sequence of operations whichever block it falls in, so the result does not depend on head grouping.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace K2Native.Backends.Cpu;

internal readonly unsafe struct AttentionTile(StridedView qLatent, StridedView q, CpuKvCache cache, int layer,
    AttentionBatch batch, AttentionShape shape, StridedView oLatent, SimdWidth width)
{
    /// <summary>Keys per tile.</summary>
    public const int Keys = 32;

    private readonly int _rkv = cache.Layout.LatentDim;
    private readonly int _entry = cache.Layout.EntryWidth;
    private readonly bool _blocked =
        width == SimdWidth.V512 && cache.Layout.LatentDim % 16 == 0 && shape.RopeDim % 16 == 0;

    public AttentionBatch Batch => batch;

    public int Heads => shape.Heads;

    /// <summary>Floats per partial: max [H], sum [H], Σ p·c [H, Rkv].</summary>
    public long PartialStride => (long)shape.Heads * (_rkv + 2);

    /// <summary>
    /// Scratch floats one Chunk call needs: scores [H, Keys], widened entries [Keys, entry], entry pointers.
    /// </summary>
    public long WorkFloats => Keys * (long)(shape.Heads + _entry) + 2 * Keys;

    /// <summary>
    /// Partial over keys [s0, s1) for heads [h0, h1): max, sum and Σ p·c into <paramref name="partial"/>.
    /// </summary>
    public void Chunk(int t, int s0, int s1, int h0, int h1, float* partial, float* work)
    {
        int heads = shape.Heads;
        float* max = partial;
        float* sum = partial + heads;
        float* acc = partial + 2 * heads;
        float* scores = work;                                   // [H, Keys]
        float* widened = work + Keys * heads;                   // [Keys, entry]
        float** entries = (float**)(widened + (long)Keys * _entry);
        var table = batch.BlockTables.AsSpan(batch.TokenSequence[t] * batch.BlockTableStride, batch.BlockTableStride);
        int blockSize = cache.Layout.BlockSize;

        for (int h = h0; h < h1; h++)
        {
            max[h] = float.NegativeInfinity;
            sum[h] = 0;
            new Span<float>(acc + (long)h * _rkv, _rkv).Clear();
        }
        for (int tile0 = s0; tile0 < s1; tile0 += Keys)
        {
            int n = Math.Min(Keys, s1 - tile0);
            for (int j = 0; j < n; j++)
            {
                int s = tile0 + j;
                byte* entry = cache.Entry(layer, (long)table[s / blockSize] * blockSize + s % blockSize);
                if (cache.IsBf16)
                {
                    entries[j] = widened + (long)j * _entry;
                    VectorMath.WidenBf16((ushort*)entry, entries[j], _entry, width);
                }
                else
                {
                    entries[j] = (float*)entry;
                }
            }
            Scores(t, entries, n, h0, h1, scores);
            for (int h = h0; h < h1; h++)
            {
                float* sc = scores + h * Keys;
                float tileMax = float.NegativeInfinity;
                for (int j = 0; j < n; j++) tileMax = MathF.Max(tileMax, sc[j]);
                float newMax = MathF.Max(max[h], tileMax);
                float correction = MathF.Exp(max[h] - newMax);
                if (correction != 1f && max[h] != float.NegativeInfinity)
                {
                    sum[h] *= correction;
                    VectorMath.Scale(acc + (long)h * _rkv, correction, _rkv, width);
                }
                max[h] = newMax;
                sum[h] += Exponentiate(sc, n, newMax);
            }
            Accumulate(entries, n, h0, h1, scores, acc);
        }
    }

    /// <summary>
    /// sc[j] = exp(sc[j] - max) for the n scores of a tile (a full tile's 32 lanes on Vector512, the rest zero);
    /// returns their sum.
    /// </summary>
    private float Exponentiate(float* sc, int n, float max)
    {
        if (width != SimdWidth.V512)
        {
            float total = 0;
            for (int j = 0; j < n; j++)
            {
                sc[j] = MathF.Exp(sc[j] - max);
                total += sc[j];
            }
            return total;
        }
        for (int j = n; j < Keys; j++) sc[j] = float.NegativeInfinity;
        var m = Vector512.Create(max);
        var lo = Vector512.Exp(Vector512.Load(sc) - m);
        var hi = Vector512.Exp(Vector512.Load(sc + 16) - m);
        lo.Store(sc);
        hi.Store(sc + 16);
        return Vector512.Sum(lo + hi);
    }

    /// <summary>running[h] ⊕= other[h]: the softmax partials of two key ranges combined.</summary>
    public void Merge(float* running, float* other, int h)
    {
        int heads = shape.Heads;
        float m = running[h], mo = other[h];
        float newMax = MathF.Max(m, mo);
        float a = MathF.Exp(m - newMax), b = MathF.Exp(mo - newMax);
        running[h] = newMax;
        running[heads + h] = running[heads + h] * a + other[heads + h] * b;
        float* acc = running + 2 * heads + (long)h * _rkv;
        VectorMath.Scale(acc, a, _rkv, width);
        VectorMath.AddScaled(acc, other + 2 * heads + (long)h * _rkv, b, _rkv, width);
    }

    /// <summary>oLatent[t, h] = Σ p·c / Σ p for heads [h0, h1).</summary>
    public void Finish(int t, float* running, int h0, int h1)
    {
        int heads = shape.Heads;
        float* o = oLatent.Row(t);
        for (int h = h0; h < h1; h++)
        {
            float* src = running + 2 * heads + (long)h * _rkv;
            float* dst = o + (long)h * _rkv;
            float inv = 1f / running[heads + h];
            for (int r = 0; r < _rkv; r++) dst[r] = src[r] * inv;
        }
    }

    /// <summary>
    /// scores[h, j] = (qLatent[h]·c_j + qRope[h]·kpe_j)·scale for heads [h0, h1) and the n keys of the tile.
    /// </summary>
    private void Scores(int t, float** entries, int n, int h0, int h1, float* scores)
    {
        float* qlat = qLatent.Row(t);
        float* qrow = q.Row(t) + shape.NopeDim;
        int qStride = shape.QueryHeadDim, rope = shape.RopeDim;
        if (!_blocked)
        {
            for (int head = h0; head < h1; head++)
                for (int j = 0; j < n; j++)
                {
                    float latent = VectorMath.Dot(qlat + (long)head * _rkv, entries[j], _rkv, width);
                    float pe = VectorMath.Dot(qrow + head * qStride, entries[j] + _rkv, rope, width);
                    scores[head * Keys + j] = (latent + pe) * shape.SoftmaxScale;
                }
            return;
        }
        int h = h0;
        for (; h + 4 <= h1; h += 4)
        {
            int j = 0;
            for (; j + 4 <= n; j += 4) Scores4x4(qlat, qrow, h, entries + j, scores + h * Keys + j);
            for (; j < n; j++)
                for (int k = 0; k < 4; k++) scores[(h + k) * Keys + j] = Score1(qlat, qrow, h + k, entries[j]);
        }
        for (; h < h1; h++)
            for (int j = 0; j < n; j++) scores[h * Keys + j] = Score1(qlat, qrow, h, entries[j]);
    }

    /// <summary>
    /// One score with the exact operation sequence of Scores4x4: one accumulator over the latent, then the rope part.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private float Score1(float* qlat, float* qrow, int h, float* e)
    {
        float* a = qlat + (long)h * _rkv;
        float* r = qrow + h * shape.QueryHeadDim;
        var acc = Vector512<float>.Zero;
        for (int i = 0; i < _rkv; i += 16)
            acc = Vector512.FusedMultiplyAdd(Vector512.Load(a + i), Vector512.Load(e + i), acc);
        for (int i = 0; i < shape.RopeDim; i += 16)
            acc = Vector512.FusedMultiplyAdd(Vector512.Load(r + i), Vector512.Load(e + _rkv + i), acc);
        return Vector512.Sum(acc) * shape.SoftmaxScale;
    }

    /// <summary>
    /// Scores of heads h..h+3 against entries e[0..3]: 16 accumulators, each loaded vector used four times. The same
    /// 4x4 step runs over the latent part (queries qLatent[h], entry columns [0, Rkv)) and then the rope part (the
    /// queries' rope columns, entry columns [Rkv, Rkv + rope)), the operation sequence of Score1.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Scores4x4(float* qlat, float* qrow, int h, float** e, float* scores)
    {
        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector512<float> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default;
        Vector512<float> c30 = default, c31 = default, c32 = default, c33 = default;
        for (int part = 0; part < 2; part++)
        {
            bool latent = part == 0;
            long qs = latent ? _rkv : shape.QueryHeadDim;
            float* q0 = latent ? qlat + (long)h * _rkv : qrow + h * qs, q1 = q0 + qs, q2 = q1 + qs, q3 = q2 + qs;
            int offset = latent ? 0 : _rkv, length = latent ? _rkv : shape.RopeDim;
            float* e0 = e[0] + offset, e1 = e[1] + offset, e2 = e[2] + offset, e3 = e[3] + offset;
            for (int i = 0; i < length; i += 16)
            {
                var k0 = Vector512.Load(e0 + i);
                var k1 = Vector512.Load(e1 + i);
                var k2 = Vector512.Load(e2 + i);
                var k3 = Vector512.Load(e3 + i);
                var v = Vector512.Load(q0 + i);
                c00 = Vector512.FusedMultiplyAdd(v, k0, c00); c01 = Vector512.FusedMultiplyAdd(v, k1, c01);
                c02 = Vector512.FusedMultiplyAdd(v, k2, c02); c03 = Vector512.FusedMultiplyAdd(v, k3, c03);
                v = Vector512.Load(q1 + i);
                c10 = Vector512.FusedMultiplyAdd(v, k0, c10); c11 = Vector512.FusedMultiplyAdd(v, k1, c11);
                c12 = Vector512.FusedMultiplyAdd(v, k2, c12); c13 = Vector512.FusedMultiplyAdd(v, k3, c13);
                v = Vector512.Load(q2 + i);
                c20 = Vector512.FusedMultiplyAdd(v, k0, c20); c21 = Vector512.FusedMultiplyAdd(v, k1, c21);
                c22 = Vector512.FusedMultiplyAdd(v, k2, c22); c23 = Vector512.FusedMultiplyAdd(v, k3, c23);
                v = Vector512.Load(q3 + i);
                c30 = Vector512.FusedMultiplyAdd(v, k0, c30); c31 = Vector512.FusedMultiplyAdd(v, k1, c31);
                c32 = Vector512.FusedMultiplyAdd(v, k2, c32); c33 = Vector512.FusedMultiplyAdd(v, k3, c33);
            }
        }
        float s = shape.SoftmaxScale;
        StoreRow(scores, c00, c01, c02, c03, s);
        StoreRow(scores + Keys, c10, c11, c12, c13, s);
        StoreRow(scores + 2 * Keys, c20, c21, c22, c23, s);
        StoreRow(scores + 3 * Keys, c30, c31, c32, c33, s);
    }

    /// <summary>One head's four scores of a 4x4 block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(float* scores, Vector512<float> c0, Vector512<float> c1, Vector512<float> c2,
        Vector512<float> c3, float s)
    {
        scores[0] = Vector512.Sum(c0) * s;
        scores[1] = Vector512.Sum(c1) * s;
        scores[2] = Vector512.Sum(c2) * s;
        scores[3] = Vector512.Sum(c3) * s;
    }

    /// <summary>
    /// acc[h] += Σ_j p[h, j]·c_j for heads [h0, h1), keys in order (the per-element sequence of AddScaled).
    /// </summary>
    private void Accumulate(float** entries, int n, int h0, int h1, float* p, float* acc)
    {
        int hb = h0;
        if (_blocked)
        {
            for (; hb + 4 <= h1; hb += 4)
            {
                int i = 0;
                for (; i + 64 <= _rkv; i += 64) Accumulate4x64(entries, n, p + hb * Keys, acc + (long)hb * _rkv + i, i);
                for (; i < _rkv; i += 16) Accumulate4x16(entries, n, p + hb * Keys, acc + (long)hb * _rkv + i, i);
            }
        }
        for (; hb < h1; hb++)
            for (int j = 0; j < n; j++)
                VectorMath.AddScaled(acc + (long)hb * _rkv, entries[j], p[hb * Keys + j], _rkv, width);
    }

    /// <summary>
    /// Columns [i, i + 64) of four heads' sums: 16 accumulators; per key 4 loads and 4 broadcasts feed 16
    /// multiply-adds.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Accumulate4x64(float** entries, int n, float* p, float* o, int i)
    {
        long r = _rkv;
        float* o0 = o, o1 = o + r, o2 = o + 2 * r, o3 = o + 3 * r;
        Vector512<float> a00 = Vector512.Load(o0), a01 = Vector512.Load(o0 + 16);
        Vector512<float> a02 = Vector512.Load(o0 + 32), a03 = Vector512.Load(o0 + 48);
        Vector512<float> a10 = Vector512.Load(o1), a11 = Vector512.Load(o1 + 16);
        Vector512<float> a12 = Vector512.Load(o1 + 32), a13 = Vector512.Load(o1 + 48);
        Vector512<float> a20 = Vector512.Load(o2), a21 = Vector512.Load(o2 + 16);
        Vector512<float> a22 = Vector512.Load(o2 + 32), a23 = Vector512.Load(o2 + 48);
        Vector512<float> a30 = Vector512.Load(o3), a31 = Vector512.Load(o3 + 16);
        Vector512<float> a32 = Vector512.Load(o3 + 32), a33 = Vector512.Load(o3 + 48);
        for (int j = 0; j < n; j++)
        {
            float* c = entries[j] + i;
            var c0 = Vector512.Load(c);
            var c1 = Vector512.Load(c + 16);
            var c2 = Vector512.Load(c + 32);
            var c3 = Vector512.Load(c + 48);
            var p0 = Vector512.Create(p[j]);
            a00 = Vector512.FusedMultiplyAdd(c0, p0, a00); a01 = Vector512.FusedMultiplyAdd(c1, p0, a01);
            a02 = Vector512.FusedMultiplyAdd(c2, p0, a02); a03 = Vector512.FusedMultiplyAdd(c3, p0, a03);
            var p1 = Vector512.Create(p[Keys + j]);
            a10 = Vector512.FusedMultiplyAdd(c0, p1, a10); a11 = Vector512.FusedMultiplyAdd(c1, p1, a11);
            a12 = Vector512.FusedMultiplyAdd(c2, p1, a12); a13 = Vector512.FusedMultiplyAdd(c3, p1, a13);
            var p2 = Vector512.Create(p[2 * Keys + j]);
            a20 = Vector512.FusedMultiplyAdd(c0, p2, a20); a21 = Vector512.FusedMultiplyAdd(c1, p2, a21);
            a22 = Vector512.FusedMultiplyAdd(c2, p2, a22); a23 = Vector512.FusedMultiplyAdd(c3, p2, a23);
            var p3 = Vector512.Create(p[3 * Keys + j]);
            a30 = Vector512.FusedMultiplyAdd(c0, p3, a30); a31 = Vector512.FusedMultiplyAdd(c1, p3, a31);
            a32 = Vector512.FusedMultiplyAdd(c2, p3, a32); a33 = Vector512.FusedMultiplyAdd(c3, p3, a33);
        }
        a00.Store(o0); a01.Store(o0 + 16); a02.Store(o0 + 32); a03.Store(o0 + 48);
        a10.Store(o1); a11.Store(o1 + 16); a12.Store(o1 + 32); a13.Store(o1 + 48);
        a20.Store(o2); a21.Store(o2 + 16); a22.Store(o2 + 32); a23.Store(o2 + 48);
        a30.Store(o3); a31.Store(o3 + 16); a32.Store(o3 + 32); a33.Store(o3 + 48);
    }

    /// <summary>Columns [i, i + 16) of four heads' sums (the remainder of Accumulate4x64).</summary>
    private void Accumulate4x16(float** entries, int n, float* p, float* o, int i)
    {
        long r = _rkv;
        Vector512<float> a0 = Vector512.Load(o), a1 = Vector512.Load(o + r);
        Vector512<float> a2 = Vector512.Load(o + 2 * r), a3 = Vector512.Load(o + 3 * r);
        for (int j = 0; j < n; j++)
        {
            var c = Vector512.Load(entries[j] + i);
            a0 = Vector512.FusedMultiplyAdd(c, Vector512.Create(p[j]), a0);
            a1 = Vector512.FusedMultiplyAdd(c, Vector512.Create(p[Keys + j]), a1);
            a2 = Vector512.FusedMultiplyAdd(c, Vector512.Create(p[2 * Keys + j]), a2);
            a3 = Vector512.FusedMultiplyAdd(c, Vector512.Create(p[3 * Keys + j]), a3);
        }
        a0.Store(o);
        a1.Store(o + r);
        a2.Store(o + 2 * r);
        a3.Store(o + 3 * r);
    }
}

// The CPU backend: every op of the backend boundary on native float32 activations, with weights read
// in place from the memory-mapped checkpoint, vectorized (Vector512 / Vector256) and spread over all cores.
using K2Native.Checkpoint;

namespace K2Native.Backends.Cpu;

/// <summary>Runs the model on the CPU with System.Runtime.Intrinsics kernels.</summary>
public sealed unsafe class CpuBackend : Backend
{
    private readonly KernelContext _context;
    private readonly WorkerPool _pool;
    private readonly SimdWidth _width;

    /// <summary>A backend using the widest vectors this machine accelerates and the default INT4 activation precision.</summary>
    public CpuBackend() : this(Simd.Best, DefaultInt4Activations) { }

    /// <summary>A backend limited to <paramref name="width"/> (to compare paths, or avoid AVX-512 clock penalties), default INT4 activation precision.</summary>
    public CpuBackend(SimdWidth width) : this(width, DefaultInt4Activations) { }

    /// <summary>A backend limited to <paramref name="width"/>, with INT4 products at the given activation precision.</summary>
    public CpuBackend(SimdWidth width, Int4Activations int4Activations) : this(width, WorkerPool.Shared, int4Activations)
    {
        if (width > Simd.Best) throw new ArgumentException($"{width} is not accelerated on this machine (best: {Simd.Best})", nameof(width));
    }

    internal CpuBackend(SimdWidth width, WorkerPool pool, Int4Activations int4Activations)
    {
        _width = width;
        _pool = pool;
        _context = new KernelContext(width, pool, int4Activations);
    }

    /// <summary>The INT4 activation precision unless one is given: Int16, near-exact (fixture logits 3e-5 from transformers) and integer-fast.</summary>
    public const Int4Activations DefaultInt4Activations = Int4Activations.Int16;

    public override string Name => "cpu";

    public override bool HostResident => true;

    /// <summary>Vector width the kernels use.</summary>
    public string Isa => _width switch { SimdWidth.V512 => "Vector512", SimdWidth.V256 => "Vector256", _ => "scalar" };

    /// <summary>Threads the kernels use.</summary>
    public int Threads => _pool.Threads;

    /// <summary>How activations meet INT4 weights.</summary>
    public Int4Activations Int4Activations => _context.Int4Activations;

    internal KernelContext Context => _context;

    public override Tensor NewTensor(int rows, int cols) => new CpuTensor(rows, cols);

    public override void Write(TensorView destination, ReadOnlySpan<float> values)
    {
        var d = CpuView.Of(destination);
        if (values.Length % Math.Max(1, d.Cols) != 0 || values.Length / Math.Max(1, d.Cols) > d.Rows)
            throw new ArgumentException($"Write: {values.Length} values do not fill whole rows of a [{d.Rows}, {d.Cols}] view");
        for (int r = 0; r * d.Cols < values.Length; r++)
            values.Slice(r * d.Cols, d.Cols).CopyTo(new Span<float>(d.Row(r), d.Cols));
    }

    public override void Read(TensorView source, Span<float> values)
    {
        var s = CpuView.Of(source);
        if (values.Length != s.Rows * s.Cols)
            throw new ArgumentException($"Read: a [{s.Rows}, {s.Cols}] view needs {s.Rows * s.Cols} values, got {values.Length}");
        for (int r = 0; r < s.Rows; r++)
            new ReadOnlySpan<float>(s.Row(r), s.Cols).CopyTo(values.Slice(r * s.Cols, s.Cols));
    }

    public override Weight Load(MatrixSource matrix) => new CpuWeight(matrix);

    public override WeightVector Load(float[] vector) => new CpuWeightVector(vector);

    public override void Embed(ReadOnlySpan<int> tokens, Weight table, TensorView y)
    {
        var m = table.Source;
        var dst = CpuView.Of(y);
        if (m.Format != WeightFormat.Bf16 || dst.Cols != m.Cols || dst.Rows != tokens.Length)
            throw new ArgumentException($"Embed: {tokens.Length} tokens into [{dst.Rows}, {dst.Cols}] from {m.Name} [{m.Rows}, {m.Cols}] {m.Format}");
        for (int t = 0; t < tokens.Length; t++)
        {
            int id = tokens[t];
            if ((uint)id >= (uint)m.Rows)
                throw new ArgumentOutOfRangeException(nameof(tokens), $"token id {id} at position {t} is outside the vocabulary [0, {m.Rows})");
            VectorMath.WidenBf16((ushort*)m.Data + (long)id * m.Cols, dst.Row(t), m.Cols, _width);
        }
    }

    public override void RmsNorm(TensorView x, WeightVector w, float eps, TensorView y) =>
        RmsNormKernel.Run(CpuView.Of(x), ((CpuWeightVector)w).Values, eps, CpuView.Of(y), _width);

    public override void MatMul(TensorView x, Weight w, TensorView y) =>
        MatMulKernel.Run(CpuView.Of(x), w.Source, CpuView.Of(y), _context);

    public override void GatherRows(TensorView src, ReadOnlySpan<int> rows, TensorView dst)
    {
        var s = CpuView.Of(src);
        var d = CpuView.Of(dst);
        if (s.Cols != d.Cols || rows.Length != d.Rows)
            throw new ArgumentException($"GatherRows: {rows.Length} rows of [{s.Rows}, {s.Cols}] into [{d.Rows}, {d.Cols}]");
        for (int i = 0; i < rows.Length; i++)
        {
            if ((uint)rows[i] >= (uint)s.Rows) throw new ArgumentOutOfRangeException(nameof(rows), $"GatherRows: row {rows[i]} of a view with {s.Rows} rows");
            new ReadOnlySpan<float>(s.Row(rows[i]), s.Cols).CopyTo(new Span<float>(d.Row(i), d.Cols));
        }
    }

    public override void Clear(TensorView x)
    {
        var v = CpuView.Of(x);
        for (int r = 0; r < v.Rows; r++) new Span<float>(v.Row(r), v.Cols).Clear();
    }

    public override void Add(TensorView acc, TensorView delta)
    {
        var a = CpuView.Of(acc);
        var d = CpuView.Of(delta);
        if (a.Rows != d.Rows || a.Cols != d.Cols)
            throw new ArgumentException($"Add shapes: [{a.Rows}, {a.Cols}] += [{d.Rows}, {d.Cols}]");
        for (int r = 0; r < a.Rows; r++) VectorMath.Add(a.Row(r), d.Row(r), a.Cols, _width);
    }

    public override void SiluMul(TensorView gate, TensorView up, TensorView y)
    {
        var g = CpuView.Of(gate);
        var u = CpuView.Of(up);
        var o = CpuView.Of(y);
        if (g.Rows != u.Rows || g.Cols != u.Cols || o.Rows != g.Rows || o.Cols != g.Cols)
            throw new ArgumentException($"SiluMul shapes: [{g.Rows}, {g.Cols}], [{u.Rows}, {u.Cols}] -> [{o.Rows}, {o.Cols}]");
        for (int r = 0; r < g.Rows; r++) VectorMath.SiluMul(g.Row(r), u.Row(r), o.Row(r), g.Cols, _width);
    }

    public override void Rope(TensorView x, int heads, int headStride, int offset, RopeTable rope, ReadOnlySpan<int> positions) =>
        RopeKernel.Run(CpuView.Of(x), heads, headStride, offset, rope, positions);

    public override void CausalAttention(TensorView q, TensorView kv, TensorView kpe, AttentionShape shape, ReadOnlySpan<int> positions, TensorView output) =>
        AttentionKernel.Run(CpuView.Of(q), CpuView.Of(kv), CpuView.Of(kpe), shape, positions.ToArray(), CpuView.Of(output), _width, _pool);

    public override KvCacheStorage NewKvCache(KvCacheLayout layout) => new CpuKvCache(layout);

    public override void WriteKv(KvCacheStorage cache, int layer, TensorView latent, TensorView kpe, ReadOnlySpan<int> slots) =>
        ((CpuKvCache)cache).Write(layer, CpuView.Of(latent), CpuView.Of(kpe), slots);

    public override void AbsorbQuery(TensorView q, Weight kvB, AttentionShape shape, TensorView qLatent) =>
        AbsorbKernels.AbsorbQuery(CpuView.Of(q), kvB.Source, shape, CpuView.Of(qLatent), _context);

    public override void PagedAttention(TensorView qLatent, TensorView q, KvCacheStorage cache, int layer, AttentionBatch batch, AttentionShape shape, TensorView oLatent) =>
        PagedAttentionKernel.Run(CpuView.Of(qLatent), CpuView.Of(q), (CpuKvCache)cache, layer, batch, shape, CpuView.Of(oLatent), _context);

    public override void ExpandValues(TensorView oLatent, Weight kvB, AttentionShape shape, TensorView output) =>
        AbsorbKernels.ExpandValues(CpuView.Of(oLatent), kvB.Source, shape, CpuView.Of(output), _context);

    public override void Route(TensorView x, MoeLayer moe, Span<int> expertIds, Span<float> expertWeights) =>
        MoeKernel.Route(CpuView.Of(x), moe, expertIds, expertWeights, _context);

    public override void RoutedExperts(TensorView x, MoeLayer moe, TensorView acc) =>
        MoeKernel.Run(CpuView.Of(x), moe, CpuView.Of(acc), _context);

    public override void Dispose()
    {
        _context.Dispose();
        base.Dispose();
    }
}

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

    /// <summary>A backend using the widest vectors this machine accelerates and the default INT4 activation
    /// precision.</summary>
    public CpuBackend() : this(Simd.Best, DefaultInt4Activations) { }

    /// <summary>A backend limited to <paramref name="width"/> (to compare paths, or avoid AVX-512 clock penalties),
    /// default INT4 activation precision.</summary>
    public CpuBackend(SimdWidth width) : this(width, DefaultInt4Activations) { }

    /// <summary>A backend limited to <paramref name="width"/>, with INT4 products at the given activation
    /// precision.</summary>
    public CpuBackend(
        SimdWidth width, Int4Activations int4Activations) : this(width, WorkerPool.Shared, int4Activations)
    {
        if (width > Simd.Best)
            throw new ArgumentException(
                $"{width} is not accelerated on this machine (best: {Simd.Best})", nameof(width));
    }

    internal CpuBackend(SimdWidth width, WorkerPool pool, Int4Activations int4Activations)
    {
        _width = width;
        _pool = pool;
        _context = new KernelContext(width, pool, int4Activations);
    }

    /// <summary>The INT4 activation precision unless one is given: Int16, near-exact (fixture logits 3e-5 from
    /// transformers) and integer-fast.</summary>
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

    protected override Tensor NewTensorCore(int rows, int cols) => new CpuTensor(rows, cols);

    protected override void WriteCore(TensorView destination, ReadOnlySpan<float> values)
    {
        var d = View(destination);
        for (int r = 0; r * d.Cols < values.Length; r++)
            values.Slice(r * d.Cols, d.Cols).CopyTo(new Span<float>(d.Row(r), d.Cols));
    }

    protected override void ReadCore(TensorView source, Span<float> values)
    {
        var s = View(source);
        for (int r = 0; r < s.Rows; r++)
            new ReadOnlySpan<float>(s.Row(r), s.Cols).CopyTo(values.Slice(r * s.Cols, s.Cols));
    }

    protected override Weight LoadCore(MatrixSource matrix) => new CpuWeight(matrix);

    protected override WeightVector LoadCore(float[] vector) => new CpuWeightVector(vector);

    protected override void EmbedCore(ReadOnlySpan<int> tokens, Weight table, TensorView y)
    {
        var m = table.Source;
        var dst = View(y);
        for (int t = 0; t < tokens.Length; t++)
            VectorMath.WidenBf16((ushort*)m.Data + (long)tokens[t] * m.Cols, dst.Row(t), m.Cols, _width);
    }

    protected override void RmsNormCore(TensorView x, WeightVector w, float eps, TensorView y) =>
        RmsNormKernel.Run(View(x), ((CpuWeightVector)w).Values, eps, View(y), _width);

    protected override void MatMulCore(TensorView x, Weight w, TensorView y) =>
        MatMulKernel.Run(View(x), w.Source, View(y), _context);

    protected override void GatherRowsCore(TensorView src, ReadOnlySpan<int> rows, TensorView dst)
    {
        var (s, d) = (View(src), View(dst));
        for (int i = 0; i < rows.Length; i++)
            new ReadOnlySpan<float>(s.Row(rows[i]), s.Cols).CopyTo(new Span<float>(d.Row(i), d.Cols));
    }

    protected override void ClearCore(TensorView x)
    {
        var v = View(x);
        for (int r = 0; r < v.Rows; r++) new Span<float>(v.Row(r), v.Cols).Clear();
    }

    protected override void AddCore(TensorView acc, TensorView delta)
    {
        var (a, d) = (View(acc), View(delta));
        for (int r = 0; r < a.Rows; r++) VectorMath.Add(a.Row(r), d.Row(r), a.Cols, _width);
    }

    protected override void SiluMulCore(TensorView gate, TensorView up, TensorView y)
    {
        var (g, u, o) = (View(gate), View(up), View(y));
        for (int r = 0; r < g.Rows; r++) VectorMath.SiluMul(g.Row(r), u.Row(r), o.Row(r), g.Cols, _width);
    }

    protected override void RopeCore(
        TensorView x, int heads, int headStride, int offset, RopeTable rope, ReadOnlySpan<int> positions) =>
        RopeKernel.Run(View(x), heads, headStride, offset, rope, positions);

    protected override void CausalAttentionCore(
        TensorView q, TensorView kv, TensorView kpe, AttentionShape shape, ReadOnlySpan<int> positions,
        TensorView output) =>
        AttentionKernel.Run(View(q), View(kv), View(kpe), shape, positions.ToArray(), View(output), _width, _pool);

    protected override KvCacheStorage NewKvCacheCore(KvCacheLayout layout) => new CpuKvCache(layout);

    protected override void WriteKvCore(
        KvCacheStorage cache, int layer, TensorView latent, TensorView kpe, ReadOnlySpan<int> slots) =>
        Cache(cache).Write(layer, View(latent), View(kpe), slots);

    protected override void AbsorbQueryCore(TensorView q, Weight kvB, AttentionShape shape, TensorView qLatent) =>
        AbsorbKernels.AbsorbQuery(View(q), kvB.Source, shape, View(qLatent), _context);

    protected override void PagedAttentionCore(
        TensorView qLatent, TensorView q, KvCacheStorage cache, int layer, AttentionBatch batch, AttentionShape shape,
        TensorView oLatent) =>
        PagedAttentionKernel.Run(View(qLatent), View(q), Cache(cache), layer, batch, shape, View(oLatent), _context);

    protected override void ExpandValuesCore(TensorView oLatent, Weight kvB, AttentionShape shape, TensorView output) =>
        AbsorbKernels.ExpandValues(View(oLatent), kvB.Source, shape, View(output), _context);

    protected override void RouteCore(TensorView x, MoeLayer moe, Span<int> expertIds, Span<float> expertWeights) =>
        MoeKernel.Route(View(x), moe, expertIds, expertWeights, _context);

    protected override void RoutedExpertsCore(TensorView x, MoeLayer moe, TensorView acc) =>
        MoeKernel.Run(View(x), moe, View(acc), _context);

    private static StridedView View(TensorView view) =>
        view.Tensor is CpuTensor t ? new StridedView(t.Data, view) : throw StridedView.Foreign(view, "CPU");

    private static CpuKvCache Cache(KvCacheStorage cache) =>
        cache as CpuKvCache
        ?? throw new ArgumentException(
            $"a cache of another backend ({cache.GetType().Name}) was given to the CPU backend");

    public override void Dispose()
    {
        _context.Dispose();
        base.Dispose();
    }
}

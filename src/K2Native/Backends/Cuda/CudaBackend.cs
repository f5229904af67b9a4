// The CUDA backend: every op of the backend boundary through libk2native (native/, C ABI in k2native.h). Weights
// are uploaded at Load, activations and the paged cache live in device memory, and ops queue on the context's
// stream. The host waits for the device in Read, in Route (it copies the chosen experts out) and in the uploads of
// host data (Write, index arrays). Shapes and indices are checked once by Backend; this class marshals. Index arrays
// that arrive as host spans (token ids, slots, block tables) are uploaded into device buffers that remember their
// last values (CachedUpload): a step's positions, slots and block tables travel once per step, not once per layer.
// With graphs on, a model step of a shape seen before is replayed from a CUDA graph (CudaGraphs.cs) after its
// indices are uploaded. Requires a GPU: construction fails with one clear K2NoGpuException / K2LibraryException
// otherwise.
using System.Runtime.CompilerServices;
using K2Native.Backends.Cuda.Native.Generated;
using K2Native.Checkpoint;
using static K2Native.Backends.Cuda.Native.K2Library;

namespace K2Native.Backends.Cuda;

/// <summary>Runs the model on an NVIDIA GPU through libk2native.</summary>
public sealed unsafe class CudaBackend : Backend
{
    private readonly CudaContext _context;
    private readonly List<DeviceScratch> _owned = [];
    private readonly ConditionalWeakTable<RopeTable, DeviceBuffer> _ropeTables = [];
    private readonly ConditionalWeakTable<MoeLayer, CudaExpertTable> _expertTables = [];
    private readonly List<CachedUpload> _uploads = [];
    private readonly CachedUpload _tokens, _positions, _slots, _tokenSequence, _keyCounts, _blockTables, _rows;
    private readonly DeviceScratch _routerLogits, _routeIds, _routeWeights, _workspace;
    private readonly CudaGraphs _graphs;
    private readonly bool _useGraphs;

    /// <summary>A backend on CUDA device <paramref name="device"/>.</summary>
    /// <param name="tensorCoreMinTokens">Products with at least this many tokens use the tensor-core tiles (activations
    /// rounded to bf16); 0 keeps every product on the float32 GEMV path.</param>
    /// <param name="graphs">Replay model steps from CUDA graphs, one per step shape (bit-identical to eager
    /// launches).</param>
    public CudaBackend(int device = 0, int tensorCoreMinTokens = 0, bool graphs = false)
    {
        _context = new CudaContext(device, tensorCoreMinTokens);
        _graphs = new CudaGraphs(_context);
        _useGraphs = graphs;
        _tokens = Cached();
        _positions = Cached();
        _slots = Cached();
        _tokenSequence = Cached();
        _keyCounts = Cached();
        _blockTables = Cached();
        _rows = Cached();
        _routerLogits = Scratch();
        _routeIds = Scratch();
        _routeWeights = Scratch();
        _workspace = Scratch();
    }

    public override string Name => "cuda";

    /// <summary>The GPU's name and compute capability.</summary>
    public string Device => $"{_context.DeviceName} (compute capability {_context.ComputeCapability})";

    private k2_context* Ctx => _context.Handle;

    protected override Tensor NewTensorCore(int rows, int cols) => new CudaTensor(_context, rows, cols);

    protected override void WriteCore(TensorView destination, ReadOnlySpan<float> values)
    {
        var d = View(destination);
        if (d.Stride == d.Cols)
        {
            _context.Upload(d.Data, values);
            return;
        }
        for (int r = 0; r * d.Cols < values.Length; r++) _context.Upload(d.Row(r), values.Slice(r * d.Cols, d.Cols));
    }

    protected override void ReadCore(TensorView source, Span<float> values)
    {
        var s = View(source);
        if (s.Stride == s.Cols)
        {
            _context.Download(values, s.Data);
            return;
        }
        for (int r = 0; r < s.Rows; r++) _context.Download(values.Slice(r * s.Cols, s.Cols), s.Row(r));
    }

    // Weight memory is freed with the context when the backend is disposed.
    protected override Weight LoadCore(MatrixSource matrix) => new CudaWeight(_context, matrix);

    protected override WeightVector LoadCore(float[] vector) => new CudaWeightVector(_context, vector);

    protected override void EmbedCore(ReadOnlySpan<int> tokens, Weight table, TensorView y)
    {
        var dst = View(y);
        var matrix = ((CudaWeight)table).Matrix;
        ThrowIfFailed(
            K2Api.k2_embed(Ctx, null, &matrix, _tokens.Get(tokens), tokens.Length, dst.Data, dst.Stride), "k2_embed");
    }

    protected override void RmsNormCore(TensorView x, WeightVector w, float eps, TensorView y)
    {
        var (a, o) = (View(x), View(y));
        ThrowIfFailed(
            K2Api.k2_rms_norm(
                Ctx,
                null,
                a.Data,
                a.Stride,
                null,
                0,
                ((CudaWeightVector)w).Data,
                eps,
                a.Rows,
                a.Cols,
                o.Data,
                o.Stride),
            "k2_rms_norm");
    }

    protected override void MatMulCore(TensorView x, Weight w, TensorView y)
    {
        var (a, o) = (View(x), View(y));
        Gemm((CudaWeight)w, a.Data, a.Stride, o.Data, o.Stride, a.Rows);
    }

    protected override void GatherRowsCore(TensorView src, ReadOnlySpan<int> rows, TensorView dst)
    {
        var (s, d) = (View(src), View(dst));
        ThrowIfFailed(
            K2Api.k2_gather_rows(
                Ctx, null, s.Data, s.Stride, s.Rows, _rows.Get(rows), rows.Length, s.Cols, d.Data, d.Stride),
            "k2_gather_rows");
    }

    protected override void ClearCore(TensorView x)
    {
        var v = View(x);
        ThrowIfFailed(
            K2Api.k2_memory_clear_2d(Ctx, null, v.Data, (nuint)(v.Stride * 4L), (nuint)(v.Cols * 4L), v.Rows),
            "k2_memory_clear_2d");
    }

    protected override void AddCore(TensorView acc, TensorView delta)
    {
        var (a, d) = (View(acc), View(delta));
        ThrowIfFailed(K2Api.k2_add(Ctx, null, a.Data, a.Stride, d.Data, d.Stride, a.Rows, a.Cols), "k2_add");
    }

    protected override void SiluMulCore(TensorView gate, TensorView up, TensorView y)
    {
        var (g, u, o) = (View(gate), View(up), View(y));
        ThrowIfFailed(
            K2Api.k2_silu_mul(Ctx, null, g.Data, g.Stride, u.Data, u.Stride, o.Data, o.Stride, g.Rows, g.Cols),
            "k2_silu_mul");
    }

    protected override void RopeCore(
        TensorView x, int heads, int headStride, int offset, RopeTable rope, ReadOnlySpan<int> positions)
    {
        var v = View(x);
        var table = _ropeTables.GetValue(rope, r =>
        {
            var buffer = _context.Allocate(8L * r.InverseFrequencies.Length);
            _context.Upload(buffer.Pointer, new ReadOnlySpan<double>(r.InverseFrequencies));
            return buffer;
        });
        ThrowIfFailed(
            K2Api.k2_rope(
                Ctx, null, v.Data, v.Stride, v.Rows, heads, headStride, offset, (double*)table.Pointer,
                rope.InverseFrequencies.Length, rope.CosSinScale, _positions.Get(positions)),
            "k2_rope");
    }

    protected override void CausalAttentionCore(
        TensorView q, TensorView kv, TensorView kpe, AttentionShape shape, ReadOnlySpan<int> positions,
        TensorView output)
    {
        var (vq, vkv, vkpe, vo) = (View(q), View(kv), View(kpe), View(output));
        var s = NativeShape(shape, 0);
        ThrowIfFailed(
            K2Api.k2_attention_prefill(
                Ctx, null, &s, vq.Data, vq.Stride, vkv.Data, vkv.Stride, vkpe.Data, vkpe.Stride,
                _positions.Get(positions), vq.Rows, vkv.Rows, vo.Data, vo.Stride),
            "k2_attention_prefill");
    }

    protected override KvCacheStorage NewKvCacheCore(KvCacheLayout layout) => new CudaKvCache(_context, layout);

    protected override void WriteKvCore(
        KvCacheStorage cache, int layer, TensorView latent, TensorView kpe, ReadOnlySpan<int> slots)
    {
        var (lat, pe) = (View(latent), View(kpe));
        var d = Cache(cache).Descriptor;
        ThrowIfFailed(
            K2Api.k2_kv_append(
                Ctx, null, &d, layer, lat.Data, lat.Stride, pe.Data, pe.Stride, _slots.Get(slots), slots.Length),
            "k2_kv_append");
    }

    protected override void AbsorbQueryCore(TensorView q, Weight kvB, AttentionShape shape, TensorView qLatent)
    {
        var (vq, vl) = (View(q), View(qLatent));
        var s = NativeShape(shape, kvB.Cols);
        var m = ((CudaWeight)kvB).Matrix;
        ThrowIfFailed(
            K2Api.k2_mla_absorb_query(Ctx, null, &s, &m, vq.Data, vq.Stride, vq.Rows, vl.Data, vl.Stride),
            "k2_mla_absorb_query");
    }

    protected override void PagedAttentionCore(
        TensorView qLatent, TensorView q, KvCacheStorage cache, int layer, AttentionBatch batch, AttentionShape shape,
        TensorView oLatent)
    {
        var (vl, vq, vo) = (View(qLatent), View(q), View(oLatent));
        int tokens = batch.Tokens;
        int maxKeys = 0;
        for (int t = 0; t < tokens; t++) maxKeys = Math.Max(maxKeys, batch.KeyCounts[t]);
        maxKeys = KeyBucket(maxKeys);
        var s = NativeShape(shape, cache.Layout.LatentDim);
        nuint bytes;
        ThrowIfFailed(K2Api.k2_mla_decode_workspace_size(&s, tokens, maxKeys, &bytes), "k2_mla_decode_workspace_size");
        k2_paged_batch b = default;
        b.struct_size = (uint)sizeof(k2_paged_batch);
        b.tokens = tokens;
        b.sequences = batch.BlockTables.Length / batch.BlockTableStride;
        b.block_table_stride = batch.BlockTableStride;
        b.max_key_count = maxKeys;
        b.token_sequence = _tokenSequence.Get(batch.TokenSequence.AsSpan(0, tokens));
        b.key_counts = _keyCounts.Get(batch.KeyCounts.AsSpan(0, tokens));
        b.block_tables = _blockTables.Get(batch.BlockTables.AsSpan(0, b.sequences * batch.BlockTableStride));
        var d = Cache(cache).Descriptor;
        ThrowIfFailed(
            K2Api.k2_mla_decode(
                Ctx, null, &s, &d, layer, &b, vl.Data, vl.Stride, vq.Data, vq.Stride, vo.Data, vo.Stride,
                _workspace.Get((long)bytes), (nuint)_workspace.Bytes),
            "k2_mla_decode");
    }

    protected override void ExpandValuesCore(TensorView oLatent, Weight kvB, AttentionShape shape, TensorView output)
    {
        var (vl, vo) = (View(oLatent), View(output));
        var s = NativeShape(shape, kvB.Cols);
        var m = ((CudaWeight)kvB).Matrix;
        ThrowIfFailed(
            K2Api.k2_mla_expand_values(Ctx, null, &s, &m, vl.Data, vl.Stride, vl.Rows, vo.Data, vo.Stride),
            "k2_mla_expand_values");
    }

    protected override void RouteCore(TensorView x, MoeLayer moe, Span<int> expertIds, Span<float> expertWeights)
    {
        int topK = moe.Settings.TopK;
        RouteOnDevice(x, moe, out int* ids, out float* weights);
        _context.Download(expertIds, ids);
        _context.Download(expertWeights, weights);
        for (int i = 0; i < expertIds.Length; i++)
            if (expertIds[i] < 0)
                throw new NonFiniteActivationException(
                    -1, "mlp.gate (the router)",
                    $"fewer than {topK} experts have finite scores for token row {i / topK}");
    }

    protected override void RoutedExpertsCore(TensorView x, MoeLayer moe, TensorView acc)
    {
        var (vx, va) = (View(x), View(acc));
        var table = _expertTables.GetValue(moe, m => new CudaExpertTable(_context, m));
        RouteOnDevice(x, moe, out int* ids, out float* weights);
        var p = table.Params;
        nuint bytes;
        ThrowIfFailed(K2Api.k2_moe_workspace_size(&p, vx.Rows, &bytes), "k2_moe_workspace_size");
        ThrowIfFailed(
            K2Api.k2_moe_experts(
                Ctx, null, &p, (k2_expert_weights*)table.Buffer.Pointer, vx.Data, vx.Stride, vx.Rows, ids, weights,
                va.Data, va.Stride, _workspace.Get((long)bytes), (nuint)_workspace.Bytes),
            "k2_moe_experts");
    }

    /// <summary>Uploads the step's index arrays once (Backend.RunStep has checked them), then runs the body or, with
    /// graphs on, replays the graph recorded for the step's shape.</summary>
    protected override void RunStepCore(in StepInputs step, Action body)
    {
        int t = step.Count, tables = step.Sequences * step.Attention.BlockTableStride;
        _tokens.Get(step.Tokens.AsSpan(0, t));
        _positions.Get(step.Positions.AsSpan(0, t));
        _slots.Get(step.Slots.AsSpan(0, t));
        _tokenSequence.Get(step.Attention.TokenSequence.AsSpan(0, t));
        _keyCounts.Get(step.Attention.KeyCounts.AsSpan(0, t));
        _blockTables.Get(step.Attention.BlockTables.AsSpan(0, tables));
        _rows.Get(step.LogitRows.AsSpan(0, step.LogitCount));
        if (!_useGraphs)
        {
            body();
            return;
        }
        _graphs.Run(
            new CudaGraphs.StepShape(
                t, step.Sequences, step.Attention.BlockTableStride, KeyBucket(step.MaxKeyCount()), step.LogitCount),
            body);
    }

    /// <summary>Waits until the work queued so far has finished (benchmarks time with it).</summary>
    public void Synchronize() => _context.Synchronize();

    /// <summary>Steps replayed from CUDA graphs so far.</summary>
    public int GraphReplays => _graphs.Replays;

    /// <summary>Records <paramref name="work"/> as a CUDA graph and replays it once; false (nothing run) when it cannot
    /// be recorded.</summary>
    internal bool RecordAndReplay(Action work) => _graphs.RecordAndReplay(work);

    /// <summary>The key-count bound passed to the decode kernel: a power of two from 256 on, so that a graph recorded
    /// at one step serves the following ones (the bound only sizes the grid; each token's chunks depend on its own
    /// count).</summary>
    internal static int KeyBucket(int maxKeys) => maxKeys <= 256
        ? 256
        : (int)Math.Min(int.MaxValue, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)maxKeys));

    public override void Dispose()
    {
        foreach (var owned in _owned) owned.Dispose();
        _owned.Clear();
        foreach (var upload in _uploads) upload.Dispose();
        _uploads.Clear();
        _context.Dispose();
        base.Dispose();
    }

    /// <summary>Router logits, then top-k routing, all on the device: ids and weights [T, K] in scratch
    /// memory.</summary>
    private void RouteOnDevice(TensorView x, MoeLayer moe, out int* ids, out float* weights)
    {
        var r = moe.Settings;
        var vx = View(x);
        var logits = (float*)_routerLogits.Get(4L * vx.Rows * r.Experts);
        Gemm((CudaWeight)moe.Router, vx.Data, vx.Stride, logits, r.Experts, vx.Rows);
        k2_router_params p = default;
        p.struct_size = (uint)sizeof(k2_router_params);
        p.experts = r.Experts;
        p.top_k = r.TopK;
        p.groups = r.Groups;
        p.topk_groups = r.TopkGroups;
        p.normalize = r.NormalizeTopK ? 1 : 0;
        p.scaling_factor = r.ScalingFactor;
        ids = (int*)_routeIds.Get(4L * vx.Rows * r.TopK);
        weights = (float*)_routeWeights.Get(4L * vx.Rows * r.TopK);
        ThrowIfFailed(
            K2Api.k2_moe_route(
                Ctx, null, &p, logits, r.Experts, ((CudaWeightVector)moe.CorrectionBias).Data, vx.Rows, ids, weights),
            "k2_moe_route");
    }

    /// <summary>y = x · wᵀ; the library picks the kernel from the matrix's format and the token count.</summary>
    private void Gemm(CudaWeight w, float* x, long xStride, float* y, long yStride, int tokens)
    {
        var m = w.Matrix;
        ThrowIfFailed(K2Api.k2_gemm(Ctx, null, &m, x, xStride, y, yStride, tokens), "k2_gemm");
    }

    private static StridedView View(TensorView view) =>
        view.Tensor is CudaTensor t ? new StridedView(t.Data, view) : throw StridedView.Foreign(view, "CUDA");

    private static CudaKvCache Cache(KvCacheStorage cache) =>
        cache as CudaKvCache ?? throw new ArgumentException(
            $"a cache of another backend ({cache.GetType().Name}) was given to the CUDA backend");

    private static k2_attention_shape NativeShape(AttentionShape shape, int latentDim)
    {
        k2_attention_shape s = default;
        s.struct_size = (uint)sizeof(k2_attention_shape);
        s.heads = shape.Heads;
        s.nope_dim = shape.NopeDim;
        s.rope_dim = shape.RopeDim;
        s.value_dim = shape.ValueDim;
        s.latent_dim = latentDim;
        s.softmax_scale = shape.SoftmaxScale;
        return s;
    }

    /// <summary>Index copies made so far, all kinds together (one step of L layers: 7 at most, whatever L).</summary>
    internal int IndexUploads => _uploads.Sum(u => u.Uploads);

    private CachedUpload Cached()
    {
        var upload = new CachedUpload(_context);
        _uploads.Add(upload);
        return upload;
    }

    private DeviceScratch Scratch()
    {
        var scratch = new DeviceScratch(_context);
        _owned.Add(scratch);
        return scratch;
    }
}

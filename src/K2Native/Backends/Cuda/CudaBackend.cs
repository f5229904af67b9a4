// The CUDA backend: every op of the backend boundary through libk2native (native/, C ABI in k2native.h). Weights
// are uploaded at Load, activations and the paged cache live in device memory, and ops queue on the context's
// stream; Read is the only point that waits. Index arrays that arrive as host spans (token ids, slots, block
// tables) are checked here with the CPU backend's messages, then uploaded into reused device scratch buffers.
// Requires a GPU: construction fails with one clear K2NoGpuException / K2LibraryException otherwise.
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
    private readonly DeviceScratch _indices, _indices2, _indices3, _routerLogits, _routeIds, _routeWeights, _workspace;

    /// <summary>A backend on CUDA device <paramref name="device"/>.</summary>
    /// <param name="tensorCoreMinTokens">Products with at least this many tokens use the tensor-core tiles (activations rounded to bf16); 0 keeps every product on the float32 GEMV path.</param>
    public CudaBackend(int device = 0, int tensorCoreMinTokens = 0)
    {
        _context = new CudaContext(device, tensorCoreMinTokens);
        _indices = Scratch();
        _indices2 = Scratch();
        _indices3 = Scratch();
        _routerLogits = Scratch();
        _routeIds = Scratch();
        _routeWeights = Scratch();
        _workspace = Scratch();
    }

    public override string Name => "cuda";

    /// <summary>The GPU's name and compute capability.</summary>
    public string Device => $"{_context.DeviceName} (compute capability {_context.ComputeCapability})";

    private k2_context* Ctx => _context.Handle;

    public override Tensor NewTensor(int rows, int cols) => new CudaTensor(_context, rows, cols);

    public override void Write(TensorView destination, ReadOnlySpan<float> values)
    {
        var d = CudaView.Of(destination);
        if (values.Length % Math.Max(1, d.Cols) != 0 || values.Length / Math.Max(1, d.Cols) > d.Rows)
            throw new ArgumentException($"Write: {values.Length} values do not fill whole rows of a [{d.Rows}, {d.Cols}] view");
        if (d.Stride == d.Cols)
        {
            _context.Upload(d.Data, values);
            return;
        }
        for (int r = 0; r * d.Cols < values.Length; r++) _context.Upload(d.Data + r * d.Stride, values.Slice(r * d.Cols, d.Cols));
    }

    public override void Read(TensorView source, Span<float> values)
    {
        var s = CudaView.Of(source);
        if (values.Length != s.Rows * s.Cols)
            throw new ArgumentException($"Read: a [{s.Rows}, {s.Cols}] view needs {s.Rows * s.Cols} values, got {values.Length}");
        if (s.Stride == s.Cols)
        {
            _context.Download(values, s.Data);
            return;
        }
        for (int r = 0; r < s.Rows; r++) _context.Download(values.Slice(r * s.Cols, s.Cols), s.Data + r * s.Stride);
    }

    // Weight memory is freed with the context when the backend is disposed.
    public override Weight Load(MatrixSource matrix) => new CudaWeight(_context, matrix);

    public override WeightVector Load(float[] vector) => new CudaWeightVector(_context, vector);

    public override void Embed(ReadOnlySpan<int> tokens, Weight table, TensorView y)
    {
        var m = table.Source;
        var dst = CudaView.Of(y);
        if (m.Format != WeightFormat.Bf16 || dst.Cols != m.Cols || dst.Rows != tokens.Length)
            throw new ArgumentException($"Embed: {tokens.Length} tokens into [{dst.Rows}, {dst.Cols}] from {m.Name} [{m.Rows}, {m.Cols}] {m.Format}");
        for (int t = 0; t < tokens.Length; t++)
            if ((uint)tokens[t] >= (uint)m.Rows)
                throw new ArgumentOutOfRangeException(nameof(tokens), $"token id {tokens[t]} at position {t} is outside the vocabulary [0, {m.Rows})");
        var matrix = ((CudaWeight)table).Matrix;
        ThrowIfFailed(K2Api.k2_embed(Ctx, null, &matrix, _indices.Upload(tokens), tokens.Length, dst.Data, dst.Stride), "k2_embed");
    }

    public override void RmsNorm(TensorView x, WeightVector w, float eps, TensorView y)
    {
        var (a, o) = (CudaView.Of(x), CudaView.Of(y));
        if (a.Cols != w.Length || o.Cols != a.Cols || o.Rows != a.Rows)
            throw new ArgumentException($"RmsNorm shapes: x [{a.Rows}, {a.Cols}], w [{w.Length}], y [{o.Rows}, {o.Cols}]");
        ThrowIfFailed(K2Api.k2_rms_norm(Ctx, null, a.Data, a.Stride, null, 0, ((CudaWeightVector)w).Data, eps, a.Rows, a.Cols, o.Data, o.Stride), "k2_rms_norm");
    }

    public override void MatMul(TensorView x, Weight w, TensorView y)
    {
        var (a, o) = (CudaView.Of(x), CudaView.Of(y));
        if (a.Cols != w.Cols || o.Cols != w.Rows || a.Rows != o.Rows)
            throw new ArgumentException($"MatMul shapes: x [{a.Rows}, {a.Cols}], {w.Source.Name} [{w.Rows}, {w.Cols}], y [{o.Rows}, {o.Cols}]");
        var m = ((CudaWeight)w).Matrix;
        Gemm(w.Source.Format, &m, a.Data, a.Stride, o.Data, o.Stride, a.Rows);
    }

    /// <summary>y = x · W^T through the entry point of W's format.</summary>
    private void Gemm(WeightFormat format, k2_matrix* m, float* x, long xStride, float* y, long yStride, int tokens)
    {
        switch (format)
        {
            case WeightFormat.Bf16: ThrowIfFailed(K2Api.k2_gemm_bf16(Ctx, null, m, x, xStride, y, yStride, tokens), "k2_gemm_bf16"); break;
            case WeightFormat.Int4: ThrowIfFailed(K2Api.k2_gemm_int4(Ctx, null, m, x, xStride, y, yStride, tokens), "k2_gemm_int4"); break;
            case WeightFormat.Fp8: ThrowIfFailed(K2Api.k2_gemm_fp8(Ctx, null, m, x, xStride, y, yStride, tokens), "k2_gemm_fp8"); break;
            default: throw new ArgumentOutOfRangeException(nameof(format), format, "no CUDA product for this weight format");
        }
    }

    public override void GatherRows(TensorView src, ReadOnlySpan<int> rows, TensorView dst)
    {
        var (s, d) = (CudaView.Of(src), CudaView.Of(dst));
        if (s.Cols != d.Cols || rows.Length != d.Rows)
            throw new ArgumentException($"GatherRows: {rows.Length} rows of [{s.Rows}, {s.Cols}] into [{d.Rows}, {d.Cols}]");
        foreach (int r in rows)
            if ((uint)r >= (uint)s.Rows) throw new ArgumentOutOfRangeException(nameof(rows), $"GatherRows: row {r} of a view with {s.Rows} rows");
        ThrowIfFailed(K2Api.k2_gather_rows(Ctx, null, s.Data, s.Stride, s.Rows, _indices.Upload(rows), rows.Length, s.Cols, d.Data, d.Stride), "k2_gather_rows");
    }

    public override void Clear(TensorView x)
    {
        var v = CudaView.Of(x);
        ThrowIfFailed(K2Api.k2_memory_clear_2d(Ctx, null, v.Data, (nuint)(v.Stride * 4), (nuint)(v.Cols * 4), v.Rows), "k2_memory_clear_2d");
    }

    public override void Add(TensorView acc, TensorView delta)
    {
        var (a, d) = (CudaView.Of(acc), CudaView.Of(delta));
        if (a.Rows != d.Rows || a.Cols != d.Cols) throw new ArgumentException($"Add shapes: [{a.Rows}, {a.Cols}] += [{d.Rows}, {d.Cols}]");
        ThrowIfFailed(K2Api.k2_add(Ctx, null, a.Data, a.Stride, d.Data, d.Stride, a.Rows, a.Cols), "k2_add");
    }

    public override void SiluMul(TensorView gate, TensorView up, TensorView y)
    {
        var (g, u, o) = (CudaView.Of(gate), CudaView.Of(up), CudaView.Of(y));
        if (g.Rows != u.Rows || g.Cols != u.Cols || o.Rows != g.Rows || o.Cols != g.Cols)
            throw new ArgumentException($"SiluMul shapes: [{g.Rows}, {g.Cols}], [{u.Rows}, {u.Cols}] -> [{o.Rows}, {o.Cols}]");
        ThrowIfFailed(K2Api.k2_silu_mul(Ctx, null, g.Data, g.Stride, u.Data, u.Stride, o.Data, o.Stride, g.Rows, g.Cols), "k2_silu_mul");
    }

    public override void Rope(TensorView x, int heads, int headStride, int offset, RopeTable rope, ReadOnlySpan<int> positions)
    {
        var v = CudaView.Of(x);
        int pairs = rope.InverseFrequencies.Length;
        if (positions.Length != v.Rows || (heads - 1) * headStride + offset + 2 * pairs > v.Cols)
            throw new ArgumentException($"Rope shapes: x [{v.Rows}, {v.Cols}], {heads} heads of stride {headStride}, offset {offset}, dim {2 * pairs}, {positions.Length} positions");
        var table = _ropeTables.GetValue(rope, r =>
        {
            var buffer = _context.Allocate(8L * r.InverseFrequencies.Length);
            _context.Upload(buffer.Pointer, new ReadOnlySpan<double>(r.InverseFrequencies));
            return buffer;
        });
        ThrowIfFailed(K2Api.k2_rope(Ctx, null, v.Data, v.Stride, v.Rows, heads, headStride, offset, (double*)table.Pointer, pairs, rope.CosSinScale,
            _indices.Upload(positions)), "k2_rope");
    }

    public override void CausalAttention(TensorView q, TensorView kv, TensorView kpe, AttentionShape shape, ReadOnlySpan<int> positions, TensorView output)
    {
        var (vq, vkv, vkpe, vo) = (CudaView.Of(q), CudaView.Of(kv), CudaView.Of(kpe), CudaView.Of(output));
        if (positions.Length != vq.Rows || vkv.Rows != vkpe.Rows)
            throw new ArgumentException($"Attention shapes: q [{vq.Rows}, {vq.Cols}], kv [{vkv.Rows}, {vkv.Cols}], kpe [{vkpe.Rows}, {vkpe.Cols}], {positions.Length} positions");
        foreach (int p in positions)
            if (p < 0 || p >= vkv.Rows) throw new ArgumentException($"Attention: position {p} has no key (keys 0..{vkv.Rows - 1})");
        var s = NativeShape(shape, 0);
        ThrowIfFailed(K2Api.k2_attention_prefill(Ctx, null, &s, vq.Data, vq.Stride, vkv.Data, vkv.Stride, vkpe.Data, vkpe.Stride, _indices.Upload(positions),
            vq.Rows, vkv.Rows, vo.Data, vo.Stride), "k2_attention_prefill");
    }

    public override KvCacheStorage NewKvCache(KvCacheLayout layout) => new CudaKvCache(_context, layout);

    public override void WriteKv(KvCacheStorage cache, int layer, TensorView latent, TensorView kpe, ReadOnlySpan<int> slots)
    {
        var c = (CudaKvCache)cache;
        var l = cache.Layout;
        var (lat, pe) = (CudaView.Of(latent), CudaView.Of(kpe));
        if ((uint)layer >= (uint)l.Layers || lat.Cols != l.LatentDim || pe.Cols != l.RopeDim || lat.Rows != slots.Length || pe.Rows != slots.Length)
            throw new ArgumentException(
                $"WriteKv: layer {layer} of {l.Layers}, latent [{lat.Rows}, {lat.Cols}], kpe [{pe.Rows}, {pe.Cols}], {slots.Length} slots; cache entries are {l.LatentDim} + {l.RopeDim}");
        for (int t = 0; t < slots.Length; t++)
            if ((ulong)slots[t] >= (ulong)l.Slots)
                throw new ArgumentOutOfRangeException(nameof(slots), $"WriteKv: slot {slots[t]} of token {t} is outside the pool of {l.Slots} slots");
        var d = c.Descriptor;
        ThrowIfFailed(K2Api.k2_kv_append(Ctx, null, &d, layer, lat.Data, lat.Stride, pe.Data, pe.Stride, _indices.Upload(slots), slots.Length), "k2_kv_append");
    }

    public override void AbsorbQuery(TensorView q, Weight kvB, AttentionShape shape, TensorView qLatent)
    {
        var (vq, vl) = (CudaView.Of(q), CudaView.Of(qLatent));
        var s = NativeShape(shape, kvB.Cols);
        var m = ((CudaWeight)kvB).Matrix;
        ThrowIfFailed(K2Api.k2_mla_absorb_query(Ctx, null, &s, &m, vq.Data, vq.Stride, vq.Rows, vl.Data, vl.Stride), "k2_mla_absorb_query");
    }

    public override void PagedAttention(TensorView qLatent, TensorView q, KvCacheStorage cache, int layer, AttentionBatch batch, AttentionShape shape, TensorView oLatent)
    {
        var (vl, vq, vo) = (CudaView.Of(qLatent), CudaView.Of(q), CudaView.Of(oLatent));
        int tokens = batch.Tokens;
        if (vl.Rows != tokens || vq.Rows != tokens || vo.Rows != tokens)
            throw new ArgumentException($"PagedAttention shapes: {tokens} tokens, qLatent [{vl.Rows}, {vl.Cols}], q [{vq.Rows}, {vq.Cols}], oLatent [{vo.Rows}, {vo.Cols}]");
        batch.Validate(cache.Layout);
        int maxKeys = 0;
        for (int t = 0; t < tokens; t++) maxKeys = Math.Max(maxKeys, batch.KeyCounts[t]);
        var s = NativeShape(shape, cache.Layout.LatentDim);
        nuint bytes;
        ThrowIfFailed(K2Api.k2_mla_decode_workspace_size(&s, tokens, maxKeys, &bytes), "k2_mla_decode_workspace_size");
        k2_paged_batch b = default;
        b.struct_size = (uint)sizeof(k2_paged_batch);
        b.tokens = tokens;
        b.sequences = batch.BlockTables.Length / batch.BlockTableStride;
        b.block_table_stride = batch.BlockTableStride;
        b.max_key_count = maxKeys;
        b.token_sequence = _indices.Upload<int>(batch.TokenSequence.AsSpan(0, tokens));
        b.key_counts = _indices2.Upload<int>(batch.KeyCounts.AsSpan(0, tokens));
        b.block_tables = _indices3.Upload<int>(batch.BlockTables.AsSpan(0, b.sequences * batch.BlockTableStride));
        var d = ((CudaKvCache)cache).Descriptor;
        ThrowIfFailed(K2Api.k2_mla_decode(Ctx, null, &s, &d, layer, &b, vl.Data, vl.Stride, vq.Data, vq.Stride, vo.Data, vo.Stride,
            _workspace.Get((long)bytes), (nuint)_workspace.Bytes), "k2_mla_decode");
    }

    public override void ExpandValues(TensorView oLatent, Weight kvB, AttentionShape shape, TensorView output)
    {
        var (vl, vo) = (CudaView.Of(oLatent), CudaView.Of(output));
        var s = NativeShape(shape, kvB.Cols);
        var m = ((CudaWeight)kvB).Matrix;
        ThrowIfFailed(K2Api.k2_mla_expand_values(Ctx, null, &s, &m, vl.Data, vl.Stride, vl.Rows, vo.Data, vo.Stride), "k2_mla_expand_values");
    }

    public override void Route(TensorView x, MoeLayer moe, Span<int> expertIds, Span<float> expertWeights)
    {
        var r = moe.Settings;
        int tokens = CudaView.Of(x).Rows;
        if (expertIds.Length != tokens * r.TopK || expertWeights.Length != expertIds.Length)
            throw new ArgumentException($"Route: {tokens} tokens x top-{r.TopK} need {tokens * r.TopK} slots, got {expertIds.Length} and {expertWeights.Length}");
        RouteOnDevice(x, moe, out int* ids, out float* weights);
        _context.Download(expertIds, ids);
        _context.Download(expertWeights, weights);
        for (int i = 0; i < expertIds.Length; i++)
            if (expertIds[i] < 0)
                throw new InvalidOperationException($"router: fewer than {r.TopK} selectable experts for token {i / r.TopK} (scores not finite?)");
    }

    public override void RoutedExperts(TensorView x, MoeLayer moe, TensorView acc)
    {
        var (vx, va) = (CudaView.Of(x), CudaView.Of(acc));
        if (va.Rows != vx.Rows || va.Cols != vx.Cols)
            throw new ArgumentException($"RoutedExperts shapes: x [{vx.Rows}, {vx.Cols}], acc [{va.Rows}, {va.Cols}]");
        if (vx.Rows == 0) return;
        var table = _expertTables.GetValue(moe, m => new CudaExpertTable(_context, m));
        RouteOnDevice(x, moe, out int* ids, out float* weights);
        var p = table.Params;
        nuint bytes;
        ThrowIfFailed(K2Api.k2_moe_workspace_size(&p, vx.Rows, &bytes), "k2_moe_workspace_size");
        ThrowIfFailed(K2Api.k2_moe_experts(Ctx, null, &p, (k2_expert_weights*)table.Buffer.Pointer, vx.Data, vx.Stride, vx.Rows, ids, weights, va.Data, va.Stride,
            _workspace.Get((long)bytes), (nuint)_workspace.Bytes), "k2_moe_experts");
    }

    public override void Dispose()
    {
        foreach (var owned in _owned) owned.Dispose();
        _owned.Clear();
        _context.Dispose();
        base.Dispose();
    }

    /// <summary>Router logits, then top-k routing, all on the device: ids and weights [T, K] in scratch memory.</summary>
    private void RouteOnDevice(TensorView x, MoeLayer moe, out int* ids, out float* weights)
    {
        var r = moe.Settings;
        var vx = CudaView.Of(x);
        var router = ((CudaWeight)moe.Router).Matrix;
        var logits = (float*)_routerLogits.Get(4L * vx.Rows * r.Experts);
        if (moe.Router.Rows != r.Experts || moe.Router.Cols != vx.Cols)
            throw new ArgumentException($"Route: router {moe.Router.Source.Name} [{moe.Router.Rows}, {moe.Router.Cols}] for {r.Experts} experts over {vx.Cols} inputs");
        Gemm(moe.Router.Source.Format, &router, vx.Data, vx.Stride, logits, r.Experts, vx.Rows);
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
        ThrowIfFailed(K2Api.k2_moe_route(Ctx, null, &p, logits, r.Experts, ((CudaWeightVector)moe.CorrectionBias).Data, vx.Rows, ids, weights), "k2_moe_route");
    }

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

    private DeviceScratch Scratch()
    {
        var scratch = new DeviceScratch(_context);
        _owned.Add(scratch);
        return scratch;
    }
}

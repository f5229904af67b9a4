// RMSNorm, RoPE (with K2's YaRN table), causal MLA attention, the router and the routed-expert step,
// each against a plain double-precision reference with awkward shapes and every SIMD width.
using K2Native.Backends;
using K2Native.Backends.Cpu;
using K2Native.Checkpoint;
using K2Native.Model;
using K2Native.Tests.Support;

namespace K2Native.Tests.Backends.Cpu;

public sealed unsafe class OpsTests
{
    public static TheoryData<SimdWidth> Widths() => new(Simd.Supported());

    [Theory]
    [MemberData(nameof(Widths))]
    public void RmsNormMatchesReference(SimdWidth width)
    {
        foreach (var (t, d) in new[] { (1, 1), (3, 7), (5, 128), (2, 1000), (1, 7168) })
        {
            var x = TestData.RandomFloats(t * d, (ulong)d, 3f);
            var w = TestData.RandomFloats(d, 11);
            var y = new float[t * d];
            fixed (float* px = x, py = y)
                RmsNormKernel.Run(new StridedView(px, t, d, d), w, 1e-5f, new StridedView(py, t, d, d), width);
            for (int r = 0; r < t; r++)
            {
                double ms = 0;
                for (int i = 0; i < d; i++) ms += (double)x[r * d + i] * x[r * d + i];
                double inv = 1 / Math.Sqrt(ms / d + 1e-5);
                for (int i = 0; i < d; i++) Assert.Equal(w[i] * x[r * d + i] * inv, y[r * d + i], 1e-5);
            }
        }
    }

    [Fact]
    public void YarnMatchesK2ThinkingNumbers()
    {
        var config = K2ThinkingLikeConfig();
        var rope = Yarn.Rope(config);
        Assert.Equal(32, rope.InverseFrequencies.Length);
        Assert.Equal(1f, rope.CosSinScale);
        for (int i = 0; i < 32; i++)
        {
            double baseFreq = 1 / Math.Pow(50000, 2.0 * i / 64);
            double expected = i <= 19 ? baseFreq : baseFreq / 64;
            Assert.Equal(expected, rope.InverseFrequencies[i], expected * 1e-12);
        }
        Assert.Equal(0.14467963f, Yarn.SoftmaxScale(config), 1e-6f);
    }

    [Fact]
    public void RopeRotatesInterleavedPairs()
    {
        var rope = new RopeTable([1.0, 0.1, 0.001], 1.25f);
        int heads = 3, stride = 10, offset = 4, t = 5;
        var x = TestData.RandomFloats(t * heads * stride, 3);
        var original = (float[])x.Clone();
        int[] positions = [0, 1, 7, 300, 262143];
        fixed (float* px = x)
            RopeKernel.Run(
                new StridedView(px, t, heads * stride, heads * stride), heads, stride, offset, rope, positions);
        for (int r = 0; r < t; r++)
            for (int h = 0; h < heads; h++)
                for (int c = 0; c < stride; c++)
                {
                    int at = r * heads * stride + h * stride + c;
                    int pair = (c - offset) / 2;
                    if (c < offset || c >= offset + 6) { Assert.Equal(original[at], x[at]); continue; }
                    double angle = positions[r] * rope.InverseFrequencies[pair];
                    double a = original[at - (c - offset) % 2], b = original[at - (c - offset) % 2 + 1];
                    double expected = (c - offset) % 2 == 0
                        ? a * Math.Cos(angle) - b * Math.Sin(angle)
                        : a * Math.Sin(angle) + b * Math.Cos(angle);
                    Assert.Equal(expected * 1.25, x[at], 1e-5);
                }
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void CausalAttentionMatchesReference(SimdWidth width)
    {
        foreach (var (heads, dn, dr, dv, t, s) in new[]
            { (1, 1, 2, 1, 1, 1), (3, 5, 4, 7, 4, 9), (4, 32, 16, 32, 13, 13), (2, 128, 64, 128, 3, 40) })
        {
            var shape = new AttentionShape(heads, dn, dr, dv, 0.3f);
            var q = TestData.RandomFloats(t * heads * (dn + dr), 1);
            var kv = TestData.RandomFloats(s * heads * (dn + dv), 2);
            var kpe = TestData.RandomFloats(s * dr, 3);
            int[] positions = Enumerable.Range(0, t).Select(i => s - t + i).ToArray();
            var output = new float[t * heads * dv];
            fixed (float* pq = q, pkv = kv, pk = kpe, po = output)
                AttentionKernel.Run(
                    new StridedView(pq, t, heads * (dn + dr), heads * (dn + dr)),
                    new StridedView(pkv, s, heads * (dn + dv), heads * (dn + dv)),
                    new StridedView(pk, s, dr, dr),
                    shape,
                    positions,
                    new StridedView(po, t, heads * dv, heads * dv),
                    width,
                    WorkerPool.Shared);

            var expected = new double[output.Length];
            for (int i = 0; i < t; i++)
                for (int h = 0; h < heads; h++)
                {
                    int keys = positions[i] + 1;
                    var scores = new double[keys];
                    for (int j = 0; j < keys; j++)
                    {
                        double score = 0;
                        for (int c = 0; c < dn; c++)
                            score += (double)q[(i * heads + h) * (dn + dr) + c] * kv[(j * heads + h) * (dn + dv) + c];
                        for (int c = 0; c < dr; c++)
                            score += (double)q[(i * heads + h) * (dn + dr) + dn + c] * kpe[j * dr + c];
                        scores[j] = score * 0.3;
                    }
                    double max = scores.Max(), sum = scores.Sum(v => Math.Exp(v - max));
                    for (int j = 0; j < keys; j++)
                        for (int c = 0; c < dv; c++)
                            expected[(i * heads + h) * dv + c] +=
                                Math.Exp(scores[j] - max) / sum * kv[(j * heads + h) * (dn + dv) + dn + c];
                }
            Assert.True(
                TestData.RelativeL2(output, expected) < 1e-5, $"H={heads} dn={dn} dr={dr} dv={dv} T={t} S={s} {width}");
        }
    }

    [Fact]
    public void RouterPicksBiasedTopKAndWeighsUnbiased()
    {
        var r = new RouterSettings(
            Experts: 8, TopK: 3, Groups: 1, TopkGroups: 1, NormalizeTopK: true, ScalingFactor: 2.5f);
        float[] logits = [0.1f, 2f, -1f, 0.5f, 0.4f, 3f, -2f, 0f];
        float[] bias = [0f, 0f, 5f, 0f, 0f, 0f, 0f, 0.2f];
        var ids = new int[3];
        var weights = new float[3];
        RouterKernel.Select(logits, bias, r, ids, weights, new float[2 * 8 + 1]);
        Assert.Equal([2, 5, 1], ids);
        double[] s = ids.Select(e => 1 / (1 + Math.Exp(-logits[e]))).ToArray();
        for (int k = 0; k < 3; k++) Assert.Equal(s[k] / s.Sum() * 2.5, weights[k], 1e-6);
    }

    [Fact]
    public void RouterLimitsToBestGroups()
    {
        // 4 groups of 4; group scores use the top two biased scores of each group.
        var r = new RouterSettings(
            Experts: 16, TopK: 3, Groups: 4, TopkGroups: 2, NormalizeTopK: false, ScalingFactor: 1f);
        var logits = new float[16];
        float[] raw =
        [
            0.9f, 0.1f, 0.1f, 0.1f,
            /* g1 */ 0.6f, 0.6f, 0.1f, 0.1f,
            /* g2 */ 0.8f, 0.7f, 0.1f, 0.1f,
            /* g3 */ 0.95f, 0f, 0f, 0f
        ];
        for (int e = 0; e < 16; e++) logits[e] = MathF.Log(raw[e] / (1 - raw[e] + 1e-9f) + 1e-9f);
        var ids = new int[3];
        var weights = new float[3];
        RouterKernel.Select(logits, new float[16], r, ids, weights, new float[2 * 16 + 4]);
        // Group sums: g0 1.0, g1 1.2, g2 1.5, g3 0.95 → g2 and g1 win; experts 12 (0.95) and 0 (0.9) are excluded.
        Assert.Equal([8, 9, 4], ids);
        Assert.Equal(raw[8], weights[0], 1e-4f);
    }

    public static TheoryData<SimdWidth, Int4Activations> WidthsAndPrecisions()
    {
        var data = new TheoryData<SimdWidth, Int4Activations>();
        foreach (var width in Simd.Supported())
            foreach (var activations in Enum.GetValues<Int4Activations>()) data.Add(width, activations);
        return data;
    }

    /// <summary>
    /// Relative L2 tolerance of the routed-expert step per INT4 activation precision (two quantized products in a row
    /// for the integer paths).
    /// </summary>
    private static double MoeTolerance(Int4Activations activations) => activations switch
    {
        Int4Activations.Float32 => 1e-5,
        Int4Activations.Int16 => 2e-4,
        _ => 4e-2,
    };

    [Theory]
    [MemberData(nameof(WidthsAndPrecisions))]
    public void RoutedExpertsMatchReference(SimdWidth width, Int4Activations activations)
    {
        // (hidden, inner, experts, topK, tokens, group): batches where tokens share experts, one token, inner rows that
        // leave a partial gate/up item (160 = 128 + 32), hidden sizes that leave partial down items and vector tails.
        foreach (var (d, inner, experts, topK, t, group) in new[]
            { (64, 32, 6, 3, 5, 32), (160, 96, 5, 2, 1, 32), (96, 160, 4, 4, 7, 32), (64, 32, 6, 3, 3, 16) })
            CheckRoutedExperts(d, inner, experts, topK, t, group, width, activations);
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void RoutedFp8ExpertsMatchReference(SimdWidth width)
    {
        // FP8 experts take the fused step too: inner sizes that cut 128-row blocks and gate/up items (160, 300),
        // hidden sizes with partial 128-column blocks and vector tails, tokens that share experts, one token.
        foreach (var (d, inner, experts, topK, t) in new[]
            { (64, 32, 6, 3, 5), (200, 160, 5, 2, 1), (130, 300, 4, 4, 7) })
            CheckRoutedExperts(d, inner, experts, topK, t, 0, width, Int4Activations.Int16, fp8: true);
    }

    /// <summary>
    /// The routed-expert step against a double-precision reference; group 0 with fp8 makes FP8 experts.
    /// </summary>
    private static void CheckRoutedExperts(int d, int inner, int experts, int topK, int t, int group, SimdWidth width,
        Int4Activations activations, bool fp8 = false)
    {
        TestMatrix Expert(int rows, int cols, ulong seed) =>
            fp8 ? TestMatrix.Fp8(rows, cols, seed, normalOnly: seed % 2 == 0) : TestMatrix.Int4(rows, cols, group, seed);
        var mats = new List<TestMatrix>();
        try
        {
            TestMatrix Make(Func<TestMatrix> f) { var m = f(); mats.Add(m); return m; }
            var router = Make(() => TestMatrix.Bf16(experts, d, 1, 0.3f));
            var gates = Enumerable.Range(0, experts)
                .Select(e => Make(() => Expert(inner, d, (ulong)(10 + e))))
                .ToArray();
            var ups = Enumerable.Range(0, experts).Select(e => Make(() => Expert(inner, d, (ulong)(20 + e)))).ToArray();
            var downs = Enumerable.Range(0, experts)
                .Select(e => Make(() => Expert(d, inner, (ulong)(30 + e))))
                .ToArray();
            var bias = TestData.RandomFloats(experts, 4, 0.1f);
            var settings = new RouterSettings(
                experts, topK, experts % 2 == 0 && topK <= experts / 2 ? 2 : 1, 1, true, 2.827f);
            using var backend = new CpuBackend(width, activations);
            var moe = new MoeLayer(backend.Load(router.Source), backend.Load(bias), settings,
                gates.Select(m => backend.Load(m.Source)).ToArray(),
                ups.Select(m => backend.Load(m.Source)).ToArray(),
                downs.Select(m => backend.Load(m.Source)).ToArray());
            var x = TestData.RandomFloats(t * d, 5, 2f);
            using var xt = backend.NewTensor(t, d);
            using var acc = backend.NewTensor(t, d);
            backend.Write(xt, x);
            var actual = new float[t * d];
            for (int run = 0; run < 2; run++)
            {
                backend.Write(acc, Enumerable.Repeat(1f, t * d).ToArray());
                backend.RoutedExperts(xt, moe, acc);
                backend.Read(acc, actual);
            }

            var expected = new double[t * d];
            for (int i = 0; i < t; i++)
            {
                var logits = new float[experts];
                for (int e = 0; e < experts; e++)
                    logits[e] = (float)Dot(router.Dense.AsSpan(e * d, d), x.AsSpan(i * d, d));
                var ids = new int[topK];
                var w = new float[topK];
                RouterKernel.Select(logits, bias, settings, ids, w, new float[2 * experts + settings.Groups]);
                for (int c = 0; c < d; c++) expected[i * d + c] = 1;
                for (int k = 0; k < topK; k++)
                {
                    var hidden = new double[inner];
                    for (int j = 0; j < inner; j++)
                    {
                        double g = Dot(gates[ids[k]].Dense.AsSpan(j * d, d), x.AsSpan(i * d, d));
                        double u = Dot(ups[ids[k]].Dense.AsSpan(j * d, d), x.AsSpan(i * d, d));
                        hidden[j] = g / (1 + Math.Exp(-g)) * u;
                    }
                    for (int c = 0; c < d; c++)
                    {
                        double o = 0;
                        for (int j = 0; j < inner; j++) o += downs[ids[k]].Dense[c * inner + j] * hidden[j];
                        expected[i * d + c] += w[k] * o;
                    }
                }
            }
            double tolerance = group == 32 && !fp8 ? MoeTolerance(activations) : MoeTolerance(Int4Activations.Float32);
            double error = TestData.RelativeL2(actual, expected);
            Assert.True(
                error < tolerance,
                $"D={d} I={inner} E={experts} K={topK} T={t} G={group} {width} {activations}: "
                + $"{error:E2} (tolerance {tolerance:E0})");
        }
        finally
        {
            foreach (var m in mats) m.Dispose();
        }

        static double Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
        {
            double s = 0;
            for (int i = 0; i < a.Length; i++) s += (double)a[i] * b[i];
            return s;
        }
    }

    private static K2Config K2ThinkingLikeConfig() => K2Config.Parse("""
        {"model_type": "kimi_k2", "vocab_size": 163840, "hidden_size": 7168, "num_hidden_layers": 61, "intermediate_size": 18432,
         "moe_intermediate_size": 2048, "n_routed_experts": 384, "num_experts_per_tok": 8, "n_shared_experts": 1, "n_group": 1, "topk_group": 1,
         "routed_scaling_factor": 2.827, "first_k_dense_replace": 1, "num_attention_heads": 64, "q_lora_rank": 1536, "kv_lora_rank": 512,
         "qk_nope_head_dim": 128, "qk_rope_head_dim": 64, "v_head_dim": 128, "rope_theta": 50000.0, "max_position_embeddings": 262144,
         "rope_scaling": {"type": "yarn", "factor": 64.0, "original_max_position_embeddings": 4096, "beta_fast": 1.0, "beta_slow": 1.0, "mscale": 1.0, "mscale_all_dim": 1.0},
         "rms_norm_eps": 1e-5, "bos_token_id": 163584, "eos_token_id": 163586}
        """u8, "k2-thinking config.json");
}

// A plain, obviously-correct K2 forward pass in double precision, written straight from K2-SPEC
// section 2: every weight dequantized to a dense array from the raw safetensors bytes (not through the
// engine's weight binder or kernels; INT4 from its packed words, FP8 through Fp8Reference and the
// weight_scale_inv blocks), naive expanded MLA, a per-token expert loop. Slow on purpose.
using System.Buffers.Binary;
using K2Native.Checkpoint;
using K2Native.Tests.Support;

namespace K2Native.Tests.Reference;

internal sealed class ReferenceModel : IDisposable
{
    private readonly SafetensorsCheckpoint _tensors;
    private readonly K2Config _c;
    private readonly Dictionary<string, double[]> _cache = new(StringComparer.Ordinal);

    public ReferenceModel(string directory)
    {
        _c = K2Config.Load(directory);
        _tensors = SafetensorsCheckpoint.Open(directory);
    }

    public void Dispose() => _tensors.Dispose();

    /// <summary>Logits [T, V] of a causal pass over ids at positions 0..T-1.</summary>
    public double[][] Forward(int[] ids)
    {
        int t = ids.Length, d = _c.HiddenSize, h = _c.NumAttentionHeads;
        int dn = _c.QkNopeHeadDim, dr = _c.QkRopeHeadDim, dv = _c.VHeadDim, rkv = _c.KvLoraRank;
        double eps = _c.RmsNormEps;
        var (inv, ropeScale, softmaxScale) = RopeParameters();
        var emb = Dense("model.embed_tokens.weight");
        var x = ids.Select(id => emb.AsSpan(id * d, d).ToArray()).ToArray();

        for (int l = 0; l < _c.NumHiddenLayers; l++)
        {
            string p = $"model.layers.{l}", a = p + ".self_attn";
            var hs = x.Select(row => Norm(row, Dense(p + ".input_layernorm.weight"), eps)).ToArray();
            double[][] q = _c.QLoraRank is null
                ? hs.Select(row => Linear(row, a + ".q_proj")).ToArray()
                : hs.Select(
                    row => Linear(
                        Norm(Linear(row, a + ".q_a_proj"), Dense(a + ".q_a_layernorm.weight"), 1e-6), a
                            + ".q_b_proj")).ToArray();
            var kva = hs.Select(row => Linear(row, a + ".kv_a_proj_with_mqa")).ToArray();
            var latent = kva.Select(row => Norm(row[..rkv], Dense(a + ".kv_a_layernorm.weight"), 1e-6)).ToArray();
            var kRope = kva.Select((row, pos) => Rotate(row[rkv..], pos, inv, ropeScale)).ToArray();
            var kv = latent.Select(row => Linear(row, a + ".kv_b_proj")).ToArray();
            var attn = new double[t][];
            for (int i = 0; i < t; i++)
            {
                attn[i] = new double[h * dv];
                for (int head = 0; head < h; head++)
                {
                    var qh = q[i].AsSpan(head * (dn + dr), dn + dr).ToArray();
                    var qRope = Rotate(qh[dn..], i, inv, ropeScale);
                    var scores = new double[i + 1];
                    for (int j = 0; j <= i; j++)
                    {
                        double s = 0;
                        for (int c = 0; c < dn; c++) s += qh[c] * kv[j][head * (dn + dv) + c];
                        for (int c = 0; c < dr; c++) s += qRope[c] * kRope[j][c];
                        scores[j] = s * softmaxScale;
                    }
                    double max = scores.Max(), sum = scores.Sum(s => Math.Exp(s - max));
                    for (int j = 0; j <= i; j++)
                        for (int c = 0; c < dv; c++)
                            attn[i][head * dv + c] +=
                                Math.Exp(scores[j] - max) / sum * kv[j][head * (dn + dv) + dn + c];
                }
            }
            for (int i = 0; i < t; i++) Add(x[i], Linear(attn[i], a + ".o_proj"));

            hs = x.Select(row => Norm(row, Dense(p + ".post_attention_layernorm.weight"), eps)).ToArray();
            bool moe = l >= _c.FirstKDenseReplace && l % _c.MoeLayerFreq == 0;
            for (int i = 0; i < t; i++)
            {
                if (!moe) { Add(x[i], Mlp(hs[i], p + ".mlp")); continue; }
                var (experts, weights) = Route(hs[i], p + ".mlp");
                for (int k = 0; k < experts.Length; k++)
                {
                    var y = Mlp(hs[i], $"{p}.mlp.experts.{experts[k]}");
                    for (int c = 0; c < d; c++) x[i][c] += weights[k] * y[c];
                }
                if (_c.NSharedExperts > 0) Add(x[i], Mlp(hs[i], p + ".mlp.shared_experts"));
            }
        }
        string output = _tensors.Contains("lm_head.weight") ? "lm_head" : "model.embed_tokens";
        return x.Select(row => Linear(Norm(row, Dense("model.norm.weight"), eps), output)).ToArray();
    }

    private (int[] Ids, double[] Weights) Route(double[] h, string mlp)
    {
        int e = _c.NRoutedExperts, groups = _c.NGroup, perGroup = e / groups;
        var logits = Linear(h, mlp + ".gate");
        var bias = Dense(mlp + ".gate.e_score_correction_bias");
        var s = logits.Select(v => 1 / (1 + Math.Exp(-v))).ToArray();
        var choice = s.Select((v, i) => v + bias[i]).ToArray();
        var groupScore = Enumerable.Range(0, groups)
            .Select(g => choice.Skip(g * perGroup).Take(perGroup).OrderDescending().Take(2).Sum()).ToArray();
        var keptGroups = Enumerable.Range(0, groups).OrderByDescending(g => groupScore[g]).ThenBy(g => g).Take(
            _c.TopkGroup).ToHashSet();
        var ids = Enumerable.Range(0, e).Where(i => keptGroups.Contains(i / perGroup))
            .OrderByDescending(i => choice[i]).ThenBy(i => i).Take(_c.NumExpertsPerTok).ToArray();
        var w = ids.Select(i => s[i]).ToArray();
        double norm = _c.NormTopkProb ? w.Sum() + 1e-20 : 1;
        return (ids, w.Select(v => v / norm * _c.RoutedScalingFactor).ToArray());
    }

    private double[] Mlp(double[] x, string module)
    {
        var gate = Linear(x, module + ".gate_proj");
        var up = Linear(x, module + ".up_proj");
        return Linear(gate.Select((g, i) => g / (1 + Math.Exp(-g)) * up[i]).ToArray(), module + ".down_proj");
    }

    private (double[] Inv, double CosSinScale, double SoftmaxScale) RopeParameters()
    {
        int d = _c.QkRopeHeadDim;
        double theta = _c.RopeTheta;
        var inv = Enumerable.Range(0, d / 2).Select(i => Math.Pow(theta, -2.0 * i / d)).ToArray();
        double softmax = Math.Pow(_c.QkNopeHeadDim + d, -0.5);
        if (_c.RopeScaling is not { } y) return (inv, 1, softmax);
        static double M(double f, double m) => f <= 1 ? 1 : 0.1 * m * Math.Log(f) + 1;
        double Corr(double r) =>
            d * Math.Log(y.OriginalMaxPositionEmbeddings / (r * 2 * Math.PI)) / (2 * Math.Log(theta));
        double low = Math.Max(Math.Floor(Corr(y.BetaFast)), 0), high = Math.Min(Math.Ceiling(Corr(y.BetaSlow)), d - 1);
        if (low == high) high += 0.001;
        for (int i = 0; i < inv.Length; i++)
        {
            double extrapolate = 1 - Math.Clamp((i - low) / (high - low), 0, 1);
            inv[i] = inv[i] / y.Factor * (1 - extrapolate) + inv[i] * extrapolate;
        }
        double cosSin = y.AttentionFactor
            ?? (y.Mscale is > 0 && y.MscaleAllDim is > 0
                ? M(y.Factor, y.Mscale.Value) / M(y.Factor, y.MscaleAllDim.Value)
                : M(y.Factor, 1));
        if (y.MscaleAllDim is > 0) softmax *= M(y.Factor, y.MscaleAllDim.Value) * M(y.Factor, y.MscaleAllDim.Value);
        return (inv, cosSin, softmax);
    }

    private static double[] Rotate(double[] v, int position, double[] inv, double scale)
    {
        var r = new double[v.Length];
        for (int i = 0; i < v.Length / 2; i++)
        {
            double angle = position * inv[i], c = Math.Cos(angle) * scale, s = Math.Sin(angle) * scale;
            r[2 * i] = v[2 * i] * c - v[2 * i + 1] * s;
            r[2 * i + 1] = v[2 * i] * s + v[2 * i + 1] * c;
        }
        return r;
    }

    private static double[] Norm(double[] x, double[] w, double eps)
    {
        double inv = 1 / Math.Sqrt(x.Sum(v => v * v) / x.Length + eps);
        return x.Select((v, i) => w[i] * v * inv).ToArray();
    }

    private static void Add(double[] acc, double[] delta)
    {
        for (int i = 0; i < acc.Length; i++) acc[i] += delta[i];
    }

    /// <summary>y = W x for the Linear module (BF16 .weight or INT4
    /// .weight_packed/.weight_scale/.weight_shape).</summary>
    private double[] Linear(double[] x, string module)
    {
        var w = Dense(module + ".weight");
        int cols = x.Length, rows = w.Length / cols;
        var y = new double[rows];
        for (int r = 0; r < rows; r++)
        {
            double s = 0;
            for (int c = 0; c < cols; c++) s += w[r * cols + c] * x[c];
            y[r] = s;
        }
        return y;
    }

    /// <summary>A tensor as doubles; "M.weight" of an INT4 module M is dequantized from its packed form.</summary>
    private double[] Dense(string name)
    {
        if (_cache.TryGetValue(name, out var cached)) return cached;
        string module = name[..^".weight".Length];
        double[] values = name.EndsWith(".weight", StringComparison.Ordinal) && !_tensors.Contains(name)
            && _tensors.Contains(module + ".weight_packed")
            ? DequantizeInt4(module)
            : _tensors.Contains(name) && _tensors.Get(name).Info.DType == DType.F8_E4M3
                ? DequantizeFp8(name)
                : Read(name);
        _cache[name] = values;
        return values;
    }

    private double[] Read(string name)
    {
        var location = _tensors.Get(name);
        var bytes = location.File.Bytes(location.Info);
        var values = new double[location.Info.ElementCount];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = location.Info.DType switch
            {
                DType.BF16 => BitConverter.Int32BitsToSingle(
                    BinaryPrimitives.ReadUInt16LittleEndian(bytes[(2 * i)..]) << 16),
                DType.F32 => BinaryPrimitives.ReadSingleLittleEndian(bytes[(4 * i)..]),
                DType.I32 => BinaryPrimitives.ReadInt32LittleEndian(bytes[(4 * i)..]),
                _ => throw new NotSupportedException($"reference model: {name} is {location.Info.DType}"),
            };
        }
        return values;
    }

    /// <summary>w[r, c] = e4m3(code[r, c]) · weight_scale_inv[r / 128, c / 128].</summary>
    private double[] DequantizeFp8(string name)
    {
        var location = _tensors.Get(name);
        int rows = (int)location.Info.Shape[0], cols = (int)location.Info.Shape[1], blockCols = (cols + 127) / 128;
        var codes = location.File.Bytes(location.Info);
        var scales = Read(name + "_scale_inv");
        var w = new double[rows * cols];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                w[r * cols + c] = Fp8Reference.Value(codes[r * cols + c]) * scales[r / 128 * blockCols + c / 128];
        return w;
    }

    private double[] DequantizeInt4(string module)
    {
        var shape = Read(module + ".weight_shape");
        int rows = (int)shape[0], cols = (int)shape[1];
        var packed = _tensors.Get(module + ".weight_packed");
        var packedBytes = packed.File.Bytes(packed.Info);
        var scales = Read(module + ".weight_scale");
        int group = cols / (scales.Length / rows);
        var w = new double[rows * cols];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
            {
                uint word = BinaryPrimitives.ReadUInt32LittleEndian(packedBytes[(4 * (r * cols / 8 + c / 8))..]);
                int q = (int)((word >> (4 * (c % 8))) & 0xF) - 8;
                w[r * cols + c] = q * scales[r * (cols / group) + c / group];
            }
        return w;
    }
}

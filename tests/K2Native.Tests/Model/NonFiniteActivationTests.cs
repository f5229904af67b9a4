// Issue 19, finding C: a checkpoint that loads but holds a non-finite weight, or a config whose RoPE math breaks,
// must fail with a typed error naming the layer and the first operation whose output is not finite (or, for the
// config, the field), never an untyped error from deep inside a kernel. (Non-finite norm weights and router biases
// are refused by the loader already, which reads them into float arrays.)
using System.Buffers.Binary;
using System.Text.Json.Nodes;
using K2Native.Backends;
using K2Native.Backends.Cpu;
using K2Native.Checkpoint;
using K2Native.Model;
using K2Native.Tests.Support;

namespace K2Native.Tests.Model;

public sealed class NonFiniteActivationTests : IDisposable
{
    private const ushort Bf16NegativeInfinity = 0xFF80;
    private const ushort Bf16NaN = 0x7FC0;
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("model.layers.1.self_attn.q_b_proj.weight", Bf16NegativeInfinity, 1, "self_attn.q_b_proj")]
    [InlineData("model.layers.0.self_attn.kv_a_proj_with_mqa.weight", Bf16NaN, 0, "self_attn.kv_a_proj_with_mqa")]
    [InlineData("model.layers.2.self_attn.o_proj.weight", Bf16NegativeInfinity, 2, "self_attn.o_proj")]
    [InlineData("model.layers.0.mlp.down_proj.weight", Bf16NaN, 0, "mlp.down_proj")]
    [InlineData("model.layers.1.mlp.gate.weight", Bf16NaN, 1, "mlp.gate (the router)")]
    [InlineData("model.layers.2.mlp.shared_experts.down_proj.weight", Bf16NegativeInfinity, 2,
        "mlp.experts and mlp.shared_experts")]
    [InlineData("model.embed_tokens.weight", Bf16NaN, -1, "model.embed_tokens")]
    [InlineData("lm_head.weight", Bf16NegativeInfinity, -1, "lm_head")]
    public void NonFiniteWeightIsNamedByLayerAndOperation(string tensor, ushort value, int layer, string operation)
    {
        PoisonEveryElement(tensor, value);
        using var checkpoint = K2Checkpoint.Open(_dir.Path);
        using var model = K2Model.Load(checkpoint, new CpuBackend());
        int[] ids = [1, 2, 3, 4, 5];

        var e = Assert.Throws<NonFiniteActivationException>(
            () => model.Forward(ids, new float[ids.Length * checkpoint.Config.VocabSize]));
        Assert.Equal(layer, e.Layer);
        Assert.StartsWith(operation, e.Operation);

        var c = checkpoint.Config;
        using var cache = model.NewKvCache(1, 16, KvCacheDType.F32);
        var batch = new StepBatch(ids.Length, 1, 1);
        batch.BlockTable(0)[0] = 0;
        for (int i = 0; i < ids.Length; i++) batch.Add(ids[i], i, i, 0, wantLogits: i == ids.Length - 1);
        var paged = Assert.Throws<NonFiniteActivationException>(() => model.Step(batch, cache, new float[c.VocabSize]));
        Assert.Equal(layer, paged.Layer);
    }

    [Fact]
    public void FiniteScanSeesEveryPosition()
    {
        for (int n = 0; n <= 70; n++)
        {
            var values = Enumerable.Range(0, n).Select(i => (float)i - 30).ToArray();
            Assert.True(ActivationCheck.AllFinite(values), $"n={n}");
            for (int at = 0; at < n; at++)
                foreach (float bad in new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity })
                {
                    var copy = (float[])values.Clone();
                    copy[at] = bad;
                    Assert.False(ActivationCheck.AllFinite(copy), $"n={n}, {bad} at {at}");
                }
        }
    }

    [Theory]
    [InlineData("1")]
    [InlineData("0.5")]
    [InlineData("0.001")]
    public void RopeThetaAtOrBelowOneIsRefused(string theta)
    {
        CheckpointFactory.Write(_dir.Path);
        CheckpointFactory.EditConfig(_dir.Path, c => c["rope_theta"] = JsonNode.Parse(theta));
        var e = Assert.ThrowsAny<CheckpointException>(() => K2Checkpoint.Open(_dir.Path));
        Assert.Contains("field 'rope_theta'", e.Message);
        Assert.Contains("must be above 1", e.Message);
    }

    /// <summary>Every corner of the accepted rope ranges gives a finite RoPE table and softmax scale.</summary>
    [Fact]
    public void AcceptedRopeRangesGiveFiniteTables()
    {
        CheckpointFactory.Write(_dir.Path);
        var corners = new (string Field, double[] Values)[]
        {
            ("factor", [1, 1e6]), ("original_max_position_embeddings", [1, 1 << 26]), ("beta_fast", [1e-6, 1e6]),
            ("beta_slow", [1e-6, 1e6]), ("mscale", [0, 1e6]), ("mscale_all_dim", [0, 1e6]),
        };
        foreach (double theta in new[] { 1.000001, 10000, 1e12 })
            foreach (var (field, values) in corners)
                foreach (double v in values)
                {
                    CheckpointFactory.EditConfig(_dir.Path, c =>
                    {
                        c["rope_theta"] = theta;
                        c["rope_scaling"]![field] = v;
                    });
                    using var checkpoint = K2Checkpoint.Open(_dir.Path);
                    var rope = Yarn.Rope(checkpoint.Config);
                    Assert.True(
                        rope.InverseFrequencies.All(double.IsFinite) && float.IsFinite(rope.CosSinScale),
                        $"theta {theta}, {field} {v}");
                    Assert.True(float.IsFinite(Yarn.SoftmaxScale(checkpoint.Config)), $"theta {theta}, {field} {v}");
                }
    }

    private void PoisonEveryElement(string tensor, ushort value)
    {
        CheckpointFactory.Write(_dir.Path);
        CheckpointFactory.RewriteTensors(_dir.Path, (name, dtype, shape, bytes) =>
        {
            if (name != tensor) return (dtype, shape, bytes);
            var poisoned = (byte[])bytes.Clone();
            if (dtype == DType.F32)
            {
                float f = BitConverter.Int32BitsToSingle(value << 16); // the bf16 value widened
                for (int i = 0; i < poisoned.Length; i += 4)
                    BinaryPrimitives.WriteSingleLittleEndian(poisoned.AsSpan(i), f);
            }
            else
            {
                Assert.Equal(DType.BF16, dtype);
                for (int i = 0; i < poisoned.Length; i += 2)
                    BinaryPrimitives.WriteUInt16LittleEndian(poisoned.AsSpan(i), value);
            }
            return (dtype, shape, poisoned);
        });
    }
}

// The loader cross-checks config.json against the tensors and reports every problem with the tensor's
// name and file; unsupported checkpoints (other quantizations) are refused with what exactly is
// unsupported. FP8 checkpoints: Fp8CheckpointTests.cs.
using System.Text.Json.Nodes;
using K2Native.Checkpoint;
using K2Native.Tests.Support;

namespace K2Native.Tests.Checkpoint;

public sealed class CheckpointValidationTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void SyntheticCheckpointLoadsSharded()
    {
        CheckpointFactory.Write(_dir.Path, shardBytes: 256 * 1024);
        using var checkpoint = K2Checkpoint.Open(_dir.Path);
        Assert.True(checkpoint.Tensors.Files.Count > 2);
        Assert.Empty(checkpoint.Warnings);
        Assert.True(checkpoint.Config.Quantization.IsInt4);
        Assert.Equal(WeightFormat.Int4, checkpoint.Weights.Layers[1].Moe!.Experts[3].Down.Format);
        Assert.Equal(WeightFormat.Bf16, checkpoint.Weights.Layers[1].Moe!.Shared!.Down.Format);
    }

    [Fact]
    public void ShapeContradictingConfigNamesTensorAndFile()
    {
        CheckpointFactory.Write(_dir.Path);
        CheckpointFactory.RewriteTensors(_dir.Path, (name, dtype, shape, bytes) =>
            name == "model.layers.1.self_attn.kv_b_proj.weight"
                ? (dtype, [shape[1], shape[0]], bytes)
                : (dtype, shape, bytes));
        var e = Assert.Throws<CheckpointValidationException>(() => K2Checkpoint.Open(_dir.Path));
        var problem = Assert.Single(e.Problems);
        Assert.Contains(
            "model.safetensors: tensor 'model.layers.1.self_attn.kv_b_proj.weight': shape [32, 256] but config.json "
            + "implies [256, 32]",
            problem);
        Assert.Contains("num_attention_heads*(qk_nope_head_dim+v_head_dim), kv_lora_rank", problem);
    }

    [Fact]
    public void EveryMissingTensorIsListed()
    {
        CheckpointFactory.Write(_dir.Path);
        CheckpointFactory.RewriteTensors(_dir.Path, (name, dtype, shape, bytes) =>
            name is "model.layers.2.mlp.experts.5.up_proj.weight_scale"
                or "model.norm.weight"
                or "model.layers.0.mlp.down_proj.weight"
                ? null : (dtype, shape, bytes));
        var e = Assert.Throws<CheckpointValidationException>(() => K2Checkpoint.Open(_dir.Path));
        Assert.Equal(3, e.Problems.Count);
        Assert.Contains(
            e.Problems, p => p.Contains("tensor 'model.layers.2.mlp.experts.5.up_proj.weight_scale' is missing"));
        Assert.Contains(e.Problems, p => p.Contains("tensor 'model.norm.weight' is missing"));
        Assert.Contains(
            e.Problems,
            p => p.Contains(
                "tensor 'model.layers.0.mlp.down_proj.weight' is missing (hidden_size, intermediate_size; layer 0 is "
                + "dense)"));
        Assert.Contains("3 problems", e.Message);
    }

    [Fact]
    public void WrongDTypeAndInt4ShapeRecord()
    {
        CheckpointFactory.Write(_dir.Path);
        CheckpointFactory.RewriteTensors(_dir.Path, (name, dtype, shape, bytes) => name switch
        {
            "model.layers.1.self_attn.o_proj.weight" => (DType.F16, shape, bytes),
            "model.layers.1.mlp.experts.0.gate_proj.weight_shape" => (DType.I32, [2], [64, 0, 0, 0, 64, 0, 0, 0]),
            _ => (dtype, shape, bytes),
        });
        var e = Assert.Throws<CheckpointValidationException>(() => K2Checkpoint.Open(_dir.Path));
        Assert.Contains(
            e.Problems, p => p.Contains("'model.layers.1.self_attn.o_proj.weight': dtype F16, expected BF16"));
        Assert.Contains(
            e.Problems,
            p => p.Contains(
                "'model.layers.1.mlp.experts.0.gate_proj.weight_shape': holds [64, 64] but config.json implies [64, "
                + "128]"));
    }

    [Theory]
    [InlineData("num_bits", "8", "num_bits 8")]
    [InlineData("symmetric", "false", "asymmetric")]
    [InlineData("strategy", "\"channel\"", "strategy 'channel'")]
    [InlineData("actorder", "\"group\"", "actorder")]
    [InlineData("type", "\"float\"", "type 'float'")]
    public void UnsupportedInt4Variants(string field, string value, string expected)
    {
        CheckpointFactory.Write(_dir.Path);
        CheckpointFactory.EditConfig(_dir.Path, c =>
            c["quantization_config"]!["config_groups"]!["group_0"]!["weights"]![field] = JsonNode.Parse(value));
        var e = Assert.Throws<UnsupportedCheckpointException>(() => K2Checkpoint.Open(_dir.Path));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void ActivationQuantizationIsRefused()
    {
        CheckpointFactory.Write(_dir.Path);
        CheckpointFactory.EditConfig(_dir.Path, c =>
            c["quantization_config"]!["config_groups"]!["group_0"]!["input_activations"] =
                JsonNode.Parse("""{"num_bits": 8}"""));
        var e = Assert.Throws<UnsupportedCheckpointException>(() => K2Checkpoint.Open(_dir.Path));
        Assert.Contains("input_activations (activation quantization)", e.Message);
    }

    [Theory]
    [InlineData("hidden_size", null, "field 'hidden_size': missing")]
    [InlineData("hidden_size", "-3", "field 'hidden_size': -3 is outside the accepted range")]
    [InlineData("hidden_size", "\"wide\"", "field 'hidden_size': expected an integer, found \"wide\"")]
    [InlineData("num_hidden_layers", "1e9", "field 'num_hidden_layers'")]
    [InlineData("rms_norm_eps", "0", "field 'rms_norm_eps'")]
    [InlineData("qk_rope_head_dim", "15", "is odd")]
    [InlineData("n_group", "3", "does not divide n_routed_experts 16")]
    [InlineData("topk_group", "2", "exceeds n_group 1")]
    [InlineData("num_experts_per_tok", "17", "field 'num_experts_per_tok'")]
    [InlineData("eos_token_id", "5000", "not below vocab_size 1024")]
    [InlineData("first_k_dense_replace", "9", "exceeds num_hidden_layers 3")]
    [InlineData("q_lora_rank", null, "write null for a model without query compression")]
    [InlineData("routed_scaling_factor", "\"NaN\"", "field 'routed_scaling_factor'")]
    public void BadConfigFieldsAreNamed(string field, string? value, string expected)
    {
        CheckpointFactory.Write(_dir.Path);
        CheckpointFactory.EditConfig(_dir.Path, c =>
        {
            if (value is null) c.Remove(field);
            else c[field] = JsonNode.Parse(value);
        });
        var e = Assert.ThrowsAny<CheckpointException>(() => K2Checkpoint.Open(_dir.Path));
        Assert.Contains(expected, e.Message);
        Assert.Contains("config.json", e.Message);
    }

    [Theory]
    [InlineData("scoring_func", "\"softmax\"", "scoring_func 'softmax'")]
    [InlineData("topk_method", "\"greedy\"", "topk_method 'greedy'")]
    [InlineData("hidden_act", "\"gelu\"", "hidden_act 'gelu'")]
    [InlineData("model_type", "\"llama\"", "model_type 'llama'")]
    public void UnsupportedArchitectureOptions(string field, string value, string expected)
    {
        CheckpointFactory.Write(_dir.Path);
        CheckpointFactory.EditConfig(_dir.Path, c => c[field] = JsonNode.Parse(value));
        var e = Assert.Throws<UnsupportedCheckpointException>(() => K2Checkpoint.Open(_dir.Path));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void UnsupportedRopeScaling()
    {
        CheckpointFactory.Write(_dir.Path);
        CheckpointFactory.EditConfig(_dir.Path, c => c["rope_scaling"]!["type"] = "linear");
        var e = Assert.Throws<UnsupportedCheckpointException>(() => K2Checkpoint.Open(_dir.Path));
        Assert.Contains("rope_scaling type 'linear'", e.Message);
    }

    [Fact]
    public void MalformedConfigJson()
    {
        CheckpointFactory.Write(_dir.Path);
        File.WriteAllText(Path.Combine(_dir.Path, "config.json"), "{\"hidden_size\": 12,");
        var e = Assert.Throws<CheckpointException>(() => K2Checkpoint.Open(_dir.Path));
        Assert.Contains("config.json: malformed JSON", e.Message);
    }

    [Fact]
    public void MissingConfigAndMissingWeights()
    {
        Assert.Contains(
            "config.json: file not found",
            Assert.Throws<CheckpointException>(() => K2Checkpoint.Open(_dir.Path)).Message);
        CheckpointFactory.Write(_dir.Path);
        foreach (var f in Directory.GetFiles(_dir.Path, "*.safetensors*")) File.Delete(f);
        Assert.Contains(
            "neither model.safetensors.index.json nor model.safetensors",
            Assert.Throws<CheckpointException>(() => K2Checkpoint.Open(_dir.Path)).Message);
    }

    [Fact]
    public void IndexProblems()
    {
        CheckpointFactory.Write(_dir.Path, shardBytes: 256 * 1024);
        string index = Path.Combine(_dir.Path, SafetensorsCheckpoint.IndexFileName);
        string original = File.ReadAllText(index);

        File.WriteAllText(index, original.Replace("\"model.norm.weight\": \"model-", "\"model.norm.weight\": \"gone-"));
        var e = Assert.Throws<CheckpointException>(() => K2Checkpoint.Open(_dir.Path));
        Assert.Contains("sends tensor 'model.norm.weight' to 'gone-", e.Message);
        Assert.Contains("does not exist", e.Message);

        var node = JsonNode.Parse(original)!;
        string firstShard = node["weight_map"]!["model.embed_tokens.weight"]!.GetValue<string>();
        node["weight_map"]!["model.norm.weight"] =
            firstShard == node["weight_map"]!["model.norm.weight"]!.GetValue<string>()
                ? "model-00002-of-00005.safetensors"
                : firstShard;
        File.WriteAllText(index, node.ToJsonString());
        e = Assert.Throws<CheckpointException>(() => K2Checkpoint.Open(_dir.Path));
        Assert.Contains("whose header does not contain it", e.Message);
        Assert.Equal("model.norm.weight", e.Tensor);

        File.WriteAllText(
            index, original.Replace("\"model.norm.weight\": \"model-", "\"model.norm.weight\": \"../model-"));
        e = Assert.Throws<CheckpointException>(() => K2Checkpoint.Open(_dir.Path));
        Assert.Contains("not a plain file name", e.Message);
    }

    [Fact]
    public void UnusedTensorsAreWarnings()
    {
        CheckpointFactory.Write(_dir.Path);
        CheckpointFactory.RewriteTensors(_dir.Path, (name, dtype, shape, bytes) => (dtype, shape, bytes), writer =>
        {
            writer.AddF32("model.layers.1.self_attn.rotary_emb.inv_freq", [8], new float[8]);
            writer.AddF32("model.layers.7.surprise", [2], new float[2]);
        });
        using var checkpoint = K2Checkpoint.Open(_dir.Path);
        Assert.Equal(["tensor 'model.layers.7.surprise' is not used by the model"], checkpoint.Warnings);
    }
}

// K2 Instruct/Base's FP8 format through the loader: F8_E4M3 weights with float32 weight_scale_inv blocks load
// in place, and every bad FP8 input (scale missing or mis-shaped or of the wrong dtype or negative, NaN codes,
// another block size, static activations, another fp8 format, FP8 weights without quantization_config) is one
// clear problem naming the tensor or field.
using System.Text.Json.Nodes;
using K2Native.Checkpoint;
using K2Native.Applications.Synth;
using K2Native.Tests.Support;

namespace K2Native.Tests.Checkpoint;

public sealed class Fp8CheckpointTests : IDisposable
{
    private const string QbProj = "model.layers.1.self_attn.q_b_proj";
    private const string ExpertDown = "model.layers.2.mlp.experts.5.down_proj";

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Fp8CheckpointLoadsInPlace()
    {
        WriteFp8();
        using var checkpoint = K2Checkpoint.Open(_dir.Path);
        Assert.True(checkpoint.Config.Quantization.IsFp8);
        Assert.Empty(checkpoint.Warnings);
        var layer = checkpoint.Weights.Layers[1];
        Assert.Equal(WeightFormat.Fp8, layer.Attention.QB!.Format);
        Assert.Equal(WeightFormat.Fp8, layer.Moe!.Experts[3].Down.Format);
        Assert.Equal(WeightFormat.Fp8, checkpoint.Weights.Layers[0].Dense!.Gate.Format);
        Assert.Equal(WeightFormat.Bf16, layer.Moe.Router.Format);
        Assert.Equal(WeightFormat.Bf16, checkpoint.Weights.LmHead.Format);
        var down = layer.Moe.Experts[3].Down;
        Assert.Equal((1, 1), (down.BlockRowCount, down.BlockColCount));
        Assert.Equal(128L * 64 + 4, down.ByteSize);
        var summary = CheckpointSummary.Of(checkpoint);
        Assert.True(summary.BytesByDType[DType.F8_E4M3] > 1_000_000);
        Assert.Contains("FP8 e4m3", checkpoint.Config.Quantization.Description);
    }

    [Fact]
    public void MissingScaleIsNamed()
    {
        WriteFp8();
        CheckpointFactory.RewriteTensors(
            _dir.Path,
            (name, dtype, shape, bytes) => name == QbProj + ".weight_scale_inv" ? null : (dtype, shape, bytes));
        var e = Assert.Throws<CheckpointValidationException>(() => K2Checkpoint.Open(_dir.Path));
        Assert.Equal($"{_dir.Path}/model.safetensors: tensor '{QbProj}.weight_scale_inv' is missing: FP8 weight "
            + $"'{QbProj}.weight' needs its float32 block scales [2, 1] (one per 128x128 block)",
            Assert.Single(e.Problems));
    }

    [Fact]
    public void MisShapedScaleIsNamed()
    {
        WriteFp8();
        CheckpointFactory.RewriteTensors(
            _dir.Path,
            (name, dtype, shape, bytes) => name == QbProj + ".weight_scale_inv"
                ? (dtype, [2, 2], new byte[16])
                : (dtype, shape, bytes));
        var e = Assert.Throws<CheckpointValidationException>(() => K2Checkpoint.Open(_dir.Path));
        Assert.Contains(
            $"tensor '{QbProj}.weight_scale_inv': shape [2, 2], but weight '{QbProj}.weight' [192, 64] with "
            + "weight_block_size [128, 128] needs [2, 1]",
            Assert.Single(e.Problems));
    }

    [Fact]
    public void ScaleOfWrongDTypeIsNamed()
    {
        WriteFp8();
        CheckpointFactory.RewriteTensors(
            _dir.Path,
            (name, dtype, shape, bytes) => name == ExpertDown + ".weight_scale_inv"
                ? (DType.BF16, shape, new byte[2])
                : (dtype, shape, bytes));
        var e = Assert.Throws<CheckpointValidationException>(() => K2Checkpoint.Open(_dir.Path));
        Assert.Contains($"tensor '{ExpertDown}.weight_scale_inv': dtype BF16, expected F32", Assert.Single(e.Problems));
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(-0.5f)]
    [InlineData(float.PositiveInfinity)]
    public void NonFiniteOrNegativeScaleIsNamed(float value)
    {
        WriteFp8();
        CheckpointFactory.RewriteTensors(_dir.Path, (name, dtype, shape, bytes) =>
            name == QbProj + ".weight_scale_inv"
                ? (dtype, shape, [.. bytes[..4], .. BitConverter.GetBytes(value)])
                : (dtype, shape, bytes));
        var e = Assert.Throws<CheckpointValidationException>(() => K2Checkpoint.Open(_dir.Path));
        Assert.Contains(
            $"tensor '{QbProj}.weight_scale_inv': block [1, 0] is {value} (scales must be finite and not negative)",
            Assert.Single(e.Problems));
    }

    [Theory]
    [InlineData(0x7F)]
    [InlineData(0xFF)]
    public void NaNCodesAreNamedWithTheirPosition(int code)
    {
        WriteFp8();
        CheckpointFactory.RewriteTensors(_dir.Path, (name, dtype, shape, bytes) =>
        {
            if (name != ExpertDown + ".weight") return (dtype, shape, bytes);
            var changed = bytes.Select(b => (b & 0x7F) == 0x7F ? (byte)0x7E : b).ToArray();
            changed[3 * 64 + 17] = (byte)code;
            return (dtype, shape, changed);
        });
        var e = Assert.Throws<CheckpointValidationException>(() => K2Checkpoint.Open(_dir.Path));
        Assert.Contains(
            $"tensor '{ExpertDown}.weight': element [3, 17] is 0x{code:X2}, a NaN code of float8 e4m3fn",
            Assert.Single(e.Problems));
    }

    [Theory]
    [InlineData("weight_block_size", "[64, 64]",
        "quantization_config.weight_block_size [64, 64] (supported: [128, 128])")]
    [InlineData("weight_block_size", "[128, 64]",
        "quantization_config.weight_block_size [128, 64] (supported: [128, 128])")]
    [InlineData(
        "activation_scheme", "\"static\"", "quantization_config.activation_scheme 'static' (supported: dynamic")]
    [InlineData("fmt", "\"e5m2\"", "quantization_config.fmt 'e5m2' (supported: e4m3)")]
    public void UnsupportedFp8VariantsAreRefused(string field, string value, string expected)
    {
        WriteFp8();
        CheckpointFactory.EditConfig(_dir.Path, c => c["quantization_config"]![field] = JsonNode.Parse(value));
        var e = Assert.Throws<UnsupportedCheckpointException>(() => K2Checkpoint.Open(_dir.Path));
        Assert.Contains(expected, e.Message);
        Assert.Contains("config.json", e.Message);
    }

    [Fact]
    public void MalformedBlockSizeIsNamed()
    {
        WriteFp8();
        CheckpointFactory.EditConfig(
            _dir.Path, c => c["quantization_config"]!["weight_block_size"] = JsonNode.Parse("[128]"));
        var e = Assert.ThrowsAny<CheckpointException>(() => K2Checkpoint.Open(_dir.Path));
        Assert.Contains(
            "field 'quantization_config.weight_block_size': expected two positive integers [rows, cols], found [128]",
            e.Message);
    }

    [Fact]
    public void Fp8TensorsWithoutQuantizationConfigAreNamed()
    {
        WriteFp8();
        CheckpointFactory.EditConfig(_dir.Path, c => c.Remove("quantization_config"));
        var e = Assert.Throws<CheckpointValidationException>(() => K2Checkpoint.Open(_dir.Path));
        Assert.Contains(
            e.Problems,
            p => p.Contains(
                $"'{QbProj}.weight': dtype F8_E4M3, expected BF16 (FP8 weights need quantization_config "
                + $"{{\"quant_method\": \"fp8\"}}"));
    }

    [Fact]
    public void Fp8RouterIsRefused()
    {
        WriteFp8();
        const string router = "model.layers.1.mlp.gate.weight";
        CheckpointFactory.RewriteTensors(
            _dir.Path,
            (name, dtype, shape, bytes) => name == router
                ? (DType.F8_E4M3, shape, new byte[bytes.Length / 2])
                : (dtype, shape, bytes));
        var e = Assert.Throws<CheckpointValidationException>(() => K2Checkpoint.Open(_dir.Path));
        Assert.Contains(
            $"tensor '{router}': dtype F8_E4M3, expected BF16 (only Linear layers of attention and MLPs may be FP8",
            Assert.Single(e.Problems));
    }

    [Fact]
    public void ScaleBesideABf16WeightIsNamed()
    {
        WriteFp8();
        CheckpointFactory.RewriteTensors(_dir.Path, (name, dtype, shape, bytes) => (dtype, shape, bytes),
            writer => writer.Add("lm_head.weight_scale_inv", DType.F32, [8, 1], new byte[32]));
        var e = Assert.Throws<CheckpointValidationException>(() => K2Checkpoint.Open(_dir.Path));
        Assert.Contains(
            "tensor 'lm_head.weight_scale_inv' scales module 'lm_head', but its weight is not F8_E4M3",
            Assert.Single(e.Problems));
    }

    private void WriteFp8() => CheckpointFactory.Write(
        _dir.Path, CheckpointFactory.Tiny(a => a with { Quant = SynthQuant.Fp8 }));
}

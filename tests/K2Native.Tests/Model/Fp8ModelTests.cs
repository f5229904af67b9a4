// FP8 checkpoints end to end. ../shared/fixtures/tiny-k2-fp8 (K2 Instruct's format) against its reference logits
// and greedy ids from an independent float32 PyTorch forward pass; and FP8 checkpoints written here with other
// shapes (partial 128-blocks in both dimensions of every matrix, no q-LoRA, many shards) against the plain
// double-precision reference model, which decodes e4m3 and applies the block scales on its own.
using System.Text.Json;
using K2Native.Backends.Cpu;
using K2Native.Checkpoint;
using K2Native.Model;
using K2Native.Runtime;
using K2Native.Applications.Synth;
using K2Native.Tests.Reference;
using K2Native.Tests.Support;
using K2Native.Text;

namespace K2Native.Tests.Model;

public sealed class Fp8ModelTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    public static TheoryData<SimdWidth> Widths() => new(Simd.Supported());

    public static TheoryData<string> Variants() => new(["baseline", "partial-blocks", "no-q-lora", "sharded"]);

    [SharedTheory]
    [MemberData(nameof(Widths))]
    public void FixtureLogitsMatchReference(SimdWidth width)
    {
        var (ids, reference) = LoadReference();
        using var checkpoint = K2Checkpoint.Open(SharedFixtures.TinyK2Fp8);
        Assert.True(checkpoint.Config.Quantization.IsFp8);
        LogitChecks.CloseToFixture(
            LogitChecks.CpuLogits(checkpoint, width, ids), reference, checkpoint.Config.VocabSize, width);
    }

    [SharedFact]
    public void FixtureGreedyIdsMatchReference()
    {
        using var doc = JsonDocument.Parse(
            File.ReadAllText(Path.Combine(SharedFixtures.TinyK2Fp8, "reference", "greedy.json")));
        var checkpoint = K2Checkpoint.Open(SharedFixtures.TinyK2Fp8);
        using var engine = new Engine(
            K2Model.Load(checkpoint, new CpuBackend()), Tokenizer.Load(SharedFixtures.TinyK2Fp8), new EngineOptions());
        foreach (var item in doc.RootElement.EnumerateArray())
        {
            var prompt = item.GetProperty("prompt").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            var expected = item.GetProperty("greedy").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            var margins = item.GetProperty("margins").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            var (ids, _, _) = engine.Generate(
                new GenerationRequest
                {
                    PromptTokens = prompt,
                    Sampling = SamplingParams.Greedy,
                    MaxTokens = expected.Length
                });
            int trusted = Array.FindIndex(margins, m => m < 0.02);
            if (trusted < 0) trusted = expected.Length;
            Assert.Equal(expected[..trusted], ids[..trusted]);
        }
    }

    [SharedFact]
    public void ReferenceModelItselfMatchesFixture()
    {
        var (ids, reference) = LoadReference();
        using var model = new ReferenceModel(SharedFixtures.TinyK2Fp8);
        var logits = model.Forward(ids[..32]).SelectMany(r => r.Select(v => (float)v)).ToArray();
        double error = TestData.RelativeL2(logits, reference.AsSpan(0, logits.Length));
        Assert.True(error <= 1e-5, $"reference model vs fixture: relative L2 {error:E2}");
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void CpuMatchesReference(string variant)
    {
        var arch = CheckpointFactory.Tiny(a => variant switch
        {
            // Every matrix has a partial edge block in rows and in columns: 200 = 128 + 72, 72, 300, 136, 40 + 24, 3
            // heads.
            "partial-blocks" => a with
            {
                HiddenSize = 200, IntermediateSize = 300, MoeIntermediateSize = 72, QLoraRank = 136, KvLoraRank = 40,
                Heads = 3, NopeDim = 40, RopeDim = 24, ValueDim = 44, Experts = 8, ExpertsPerToken = 3,
            },
            "no-q-lora" => a with { QLoraRank = null },
            _ => a,
        } with { Quant = SynthQuant.Fp8 });
        CheckpointFactory.Write(
            _dir.Path, arch, seed: 11, shardBytes: variant == "sharded" ? 64 * 1024 : long.MaxValue);
        if (variant == "sharded") Assert.True(Directory.GetFiles(_dir.Path, "*.safetensors").Length >= 10);
        int[] ids = Enumerable.Range(0, 17).Select(i => (i * 173 + 11) % 1024).ToArray();
        LogitChecks.EveryWidthMatchesReferenceModel(_dir.Path, ids, variant);
    }

    private static (int[] Ids, float[] Logits) LoadReference()
    {
        string dir = Path.Combine(SharedFixtures.TinyK2Fp8, "reference");
        var ids = File.ReadAllText(Path.Combine(dir, "logits_tokens.txt")).Split(
            ' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
        return (
            ids,
            System.Runtime.InteropServices.MemoryMarshal
                .Cast<byte, float>(File.ReadAllBytes(Path.Combine(dir, "logits.f32")))
                .ToArray());
    }
}

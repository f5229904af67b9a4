// Checkpoint variants the fixture does not cover — no q-LoRA, expert groups with topk_group < n_group,
// many shards, no YaRN, tied embeddings, no shared expert, MoE every other layer — written here with
// the synth writer and checked against the plain double-precision reference model.
using System.Text.Json.Nodes;
using K2Native.Applications.Synth;
using K2Native.Backends.Cpu;
using K2Native.Checkpoint;
using K2Native.Model;
using K2Native.Tests.Reference;
using K2Native.Tests.Support;

namespace K2Native.Tests.Model;

public sealed class VariantModelTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    public static TheoryData<string> Variants() => new(
        [
            "baseline",
            "no-q-lora",
            "expert-groups",
            "sharded",
            "no-yarn",
            "tied-embeddings",
            "no-shared-expert",
            "moe-every-other-layer",
            "yarn-mscale"
        ]);

    [Theory]
    [MemberData(nameof(Variants))]
    public void CpuMatchesReference(string variant)
    {
        Build(variant);
        int[] ids = Enumerable.Range(0, 19).Select(i => (i * 131 + 7) % 1024).ToArray();
        LogitChecks.EveryWidthMatchesReferenceModel(_dir.Path, ids, variant);
    }

    [Fact]
    public void GroupLimitedRoutingExcludesExpertsOfDroppedGroups()
    {
        Build("expert-groups");
        using var checkpoint = K2Checkpoint.Open(_dir.Path);
        var c = checkpoint.Config;
        Assert.Equal((4, 2), (c.NGroup, c.TopkGroup));
        var backend = new CpuBackend();
        var moe = checkpoint.Weights.Layers[1].Moe!;
        var layer = new K2Native.Backends.MoeLayer(backend.Load(moe.Router), backend.Load(moe.CorrectionBias),
            new K2Native.Backends.RouterSettings(
                c.NRoutedExperts, c.NumExpertsPerTok, c.NGroup, c.TopkGroup, c.NormTopkProb,
                (float)c.RoutedScalingFactor),
            [], [], []);
        const int tokens = 64;
        using var x = backend.NewTensor(tokens, c.HiddenSize);
        backend.Write(x, TestData.RandomFloats(tokens * c.HiddenSize, 3, 2f));
        var ids = new int[tokens * c.NumExpertsPerTok];
        var weights = new float[ids.Length];
        backend.Route(x, layer, ids, weights);
        int perGroup = c.NRoutedExperts / c.NGroup;
        for (int t = 0; t < tokens; t++)
        {
            var groups = ids.AsSpan(t * c.NumExpertsPerTok, c.NumExpertsPerTok)
                .ToArray()
                .Select(e => e / perGroup)
                .Distinct()
                .Count();
            Assert.InRange(groups, 1, c.TopkGroup);
            Assert.Equal(
                c.NumExpertsPerTok,
                ids.AsSpan(t * c.NumExpertsPerTok, c.NumExpertsPerTok).ToArray().Distinct().Count());
            Assert.Equal(
                c.RoutedScalingFactor, weights.AsSpan(t * c.NumExpertsPerTok, c.NumExpertsPerTok).ToArray().Sum(), 4);
        }
    }

    private void Build(string variant)
    {
        var arch = CheckpointFactory.Tiny(a => variant switch
        {
            "no-q-lora" => a with { QLoraRank = null },
            "expert-groups" => a with { Groups = 4, TopkGroups = 2 },
            "no-shared-expert" => a with { SharedExperts = 0 },
            "moe-every-other-layer" => a with { Layers = 4 },
            _ => a,
        });
        CheckpointFactory.Write(_dir.Path, arch, seed: 5, shardBytes: variant == "sharded" ? 64 * 1024 : long.MaxValue);
        switch (variant)
        {
            case "sharded":
                Assert.True(Directory.GetFiles(_dir.Path, "*.safetensors").Length >= 10);
                break;
            case "no-yarn":
                CheckpointFactory.EditConfig(_dir.Path, c => c.Remove("rope_scaling"));
                break;
            case "yarn-mscale":
                CheckpointFactory.EditConfig(_dir.Path, c =>
                {
                    c["rope_scaling"]!["mscale"] = 0.707;
                    c["rope_scaling"]!["mscale_all_dim"] = 1.3;
                });
                break;
            case "tied-embeddings":
                CheckpointFactory.EditConfig(_dir.Path, c => c["tie_word_embeddings"] = true);
                CheckpointFactory.RewriteTensors(
                    _dir.Path, (name, dtype, shape, bytes) => name == "lm_head.weight" ? null : (dtype, shape, bytes));
                break;
            case "moe-every-other-layer":
                CheckpointFactory.EditConfig(_dir.Path, c => c["moe_layer_freq"] = 2);
                // Layers 1 and 3 become dense (l % 2 != 0): give them the dense MLP the config now implies.
                int[] dense = [1, 3];
                CheckpointFactory.RewriteTensors(_dir.Path,
                    (name, dtype, shape, bytes) => dense.Any(l => name.StartsWith(
                        $"model.layers.{l}.mlp.", StringComparison.Ordinal)) ? null : (dtype, shape, bytes),
                    writer =>
                    {
                        foreach (int l in dense)
                            foreach (var (proj, rows, cols) in new[]
                                { ("gate_proj", 256, 128), ("up_proj", 256, 128), ("down_proj", 128, 256) })
                                writer.AddBf16(
                                    $"model.layers.{l}.mlp.{proj}.weight", [rows, cols],
                                    TestData.RandomBf16(rows * cols, (ulong)(rows + l), 0.08f));
                    });
                CheckpointFactory.EditConfig(_dir.Path, c =>
                {
                    var ignore = c["quantization_config"]!["ignore"]!.AsArray();
                    foreach (int l in dense)
                        foreach (var proj in new[] { "gate_proj", "up_proj", "down_proj" })
                            ignore.Add($"model.layers.{l}.mlp.{proj}");
                });
                break;
        }
    }
}

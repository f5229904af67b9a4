// `k2 check` and its scan (issue 19, finding C): every tensor with NaN/Inf values or zero/negative scales is named,
// a clean checkpoint passes, and the scan's vectorized fast path misses no position.
using System.Buffers.Binary;
using K2Native.Checkpoint;
using K2Native.Tests.Support;

namespace K2Native.Tests.Checkpoint;

public sealed class TensorScanTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void CleanCheckpointHasNoProblems()
    {
        CheckpointFactory.Write(_dir.Path, shardBytes: 256 * 1024);
        using var tensors = SafetensorsCheckpoint.Open(_dir.Path);
        long lastDone = -1, lastTotal = 0;
        Assert.Empty(TensorScan.Run(tensors, (done, total) => (lastDone, lastTotal) = (done, total)));
        Assert.Equal(lastTotal, lastDone);
    }

    [Fact]
    public void EveryBadTensorIsNamed()
    {
        CheckpointFactory.Write(_dir.Path);
        CheckpointFactory.RewriteTensors(_dir.Path, (name, dtype, shape, bytes) =>
        {
            var b = (byte[])bytes.Clone();
            switch (name)
            {
                case "model.layers.1.self_attn.q_b_proj.weight":
                    BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(2 * 37), 0xFF80); // bf16 -Inf at element 37
                    break;
                case "model.layers.2.mlp.experts.3.up_proj.weight_scale":
                    BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(2 * 5), 0x0000);  // a zero scale
                    BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(2 * 6), 0xBF80);  // -1.0
                    break;
                case "model.norm.weight":
                    BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(b.Length - 2), 0x7FC1); // NaN, last element
                    break;
                default:
                    return (dtype, shape, bytes);
            }
            return (dtype, shape, b);
        });
        using var tensors = SafetensorsCheckpoint.Open(_dir.Path);
        var problems = TensorScan.Run(tensors).ToDictionary(p => p.Tensor, p => p.Problem);
        Assert.Equal(3, problems.Count);
        Assert.Contains("1 of", problems["model.layers.1.self_attn.q_b_proj.weight"]);
        Assert.Contains(
            "NaN or infinite (the first at element 37)", problems["model.layers.1.self_attn.q_b_proj.weight"]);
        Assert.Contains("2 of", problems["model.layers.2.mlp.experts.3.up_proj.weight_scale"]);
        Assert.Contains(
            "scales are zero or negative (the first at element 5)",
            problems["model.layers.2.mlp.experts.3.up_proj.weight_scale"]);
        Assert.Contains("NaN or infinite", problems["model.norm.weight"]);

        var cli = K2Cli.Run(null, "check", "--model", _dir.Path);
        Assert.Equal(1, cli.ExitCode);
        Assert.Contains("structure: checkpoint", cli.Stdout); // the loader refuses the NaN norm weight itself
        Assert.Contains("'model.norm.weight': element", cli.Stdout);
        Assert.Contains("tensor 'model.layers.1.self_attn.q_b_proj.weight'", cli.Stdout);
        Assert.Contains("tensor 'model.layers.2.mlp.experts.3.up_proj.weight_scale'", cli.Stdout);
        Assert.Contains("4 problems found", cli.Stdout);
        Assert.Contains("checked", cli.Stderr);
    }

    [Fact]
    public void CheckCommandPassesTheBundledModel()
    {
        var cli = K2Cli.Run(null, "check", "--quiet");
        Assert.Equal(0, cli.ExitCode);
        Assert.Contains("values: ok", cli.Stdout);
    }

    [Theory]
    [InlineData(DType.BF16, (ushort)0x7F80)]
    [InlineData(DType.BF16, (ushort)0xFFC0)]
    [InlineData(DType.F16, (ushort)0x7C00)]
    [InlineData(DType.F16, (ushort)0xFE00)]
    public void FastPathSeesEveryPosition(DType dtype, ushort bad)
    {
        for (int n = 1; n <= 80; n++)
            for (int at = 0; at < n; at++)
            {
                var bytes = new byte[2 * n];
                for (int i = 0; i < n; i++) BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(2 * i), 0x3F80);
                BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(2 * at), bad);
                var counts = new TensorScan.Counts();
                TensorScan.Scan(dtype, bytes, isScale: false, ref counts);
                Assert.True(counts.NotFinite == 1 && counts.FirstBad == at, $"{dtype} n={n} at={at}");
            }
    }

    [Fact]
    public void Fp8NaNCodesAreFound()
    {
        var counts = new TensorScan.Counts();
        TensorScan.Scan(DType.F8_E4M3, [0x00, 0x7E, 0x7F, 0xFE, 0xFF], isScale: false, ref counts);
        Assert.Equal(2, counts.NotFinite);
        Assert.Equal(2, counts.FirstBad);
    }
}

// The CUDA backend against the CPU backend (itself proven against transformers), on a GPU; skipped with the reason
// elsewhere. Per op: every case of K2Bench's BackendComparison (adversarial shapes, exact expert ids). End to end:
// `k2 logits --backend cuda` on ../shared/fixtures/tiny-k2 within 1e-2 of transformers' logits, and greedy ids
// equal to the CPU's up to the first step whose margin is below the numeric error. The comparison harness itself
// is checked here without a GPU: the scalar CPU kernels pass against the vectorized reference, and a backend that
// is wrong in one op (SkewedBackend) fails that op's cases.
using System.Text.Json;
using K2Native.Backends.Cpu;
using K2Native.Backends.Cuda;
using K2Native.Backends.Verification;
using K2Native.Checkpoint;
using K2Native.Model;
using K2Native.Tests.Support;

namespace K2Native.Tests.Backends.Cuda;

public sealed class CudaBackendTests
{
    public static TheoryData<string> CaseNames() => [.. BackendComparison.Cases().Select(c => c.Name)];

    [GpuTheory]
    [MemberData(nameof(CaseNames))]
    public void Each_op_matches_the_CPU_backend(string name)
    {
        var cases = BackendComparison.Cases().Where(c => c.Name == name);
        var result = Assert.Single(BackendComparison.RunAll(cases, threshold => new CudaBackend(0, threshold)));
        Assert.True(result.Passed, result.ToString());
    }

    [Fact]
    public void The_scalar_CPU_kernels_pass_against_the_vectorized_reference()
    {
        var results = BackendComparison.RunAll(
            SmallCases(), _ => new CpuBackend(SimdWidth.Scalar, Int4Activations.Float32));
        Assert.True(results.Count > 40, $"{results.Count} cases");
        Assert.All(results, r => Assert.True(r.Passed, r.ToString()));
    }

    public static TheoryData<string, string> SkewedOps() => new()
    {
        { "MatMul", "matmul" },
        { "RmsNorm", "rmsnorm" },
        { "SiluMul", "add, silu-mul" },
        { "GatherRows", "gather rows" },
        { "Rope", "rope" },
        { "CausalAttention", "causal attention" },
        { "ExpandValues", "absorb query" },
        { "PagedAttention", "paged attention" },
        { "Route", "route " },
        { "RoutedExperts", "routed experts" },
    };

    [Theory]
    [MemberData(nameof(SkewedOps))]
    public void The_harness_fails_a_backend_that_is_wrong_in_one_op(string op, string casePrefix)
    {
        var cases = SmallCases().Where(c => c.Name.StartsWith(casePrefix, StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(cases);
        var results = BackendComparison.RunAll(cases, _ => new SkewedBackend(BackendComparison.Reference(), op));
        Assert.All(results, r => Assert.False(r.Passed, $"{op} skewed, yet: {r}"));
    }

    [GpuSharedFact]
    public void Fixture_logits_on_the_GPU_are_within_1e_2_of_transformers()
    {
        using var checkpoint = K2Checkpoint.Open(SharedFixtures.TinyK2);
        var ids = File.ReadAllText(SharedFixtures.Path("fixtures", "tiny-k2", "reference", "logits_tokens.txt"))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
        var expected = ReadFloats(SharedFixtures.Path("fixtures", "tiny-k2", "reference", "logits.f32"));
        using var model = K2Model.Load(checkpoint, new CudaBackend());
        var logits = new float[expected.Length];
        model.Forward(ids, logits);
        double error = BackendComparison.RelativeL2(logits, expected);
        Assert.True(error <= 1e-2, $"relative L2 {error:E3} of the CUDA logits against transformers'");
    }

    [GpuSharedFact]
    public void Greedy_generation_on_the_GPU_gives_the_CPUs_ids()
    {
        using var doc = JsonDocument.Parse(
            File.ReadAllText(SharedFixtures.Path("fixtures", "tiny-k2", "reference", "greedy.json")));
        foreach (var sample in doc.RootElement.EnumerateArray())
        {
            string prompt = string.Join(' ', sample.GetProperty("prompt").EnumerateArray().Select(e => e.GetInt32()));
            string[] args = [
                "generate", "--model", SharedFixtures.TinyK2, "--tokens", prompt, "--temperature", "0", "--max-tokens",
                "32", "--print-ids", "--backend"];
            // The CPU's exact Float32 INT4 path: its default Int16 activations round, and may legitimately pick another
            // id.
            var cpu = K2Cli.Run(null, [.. args, "cpu", "--int4-activations", "Float32"]);
            var gpu = K2Cli.Run(null, [.. args, "cuda"]);
            Assert.True(cpu.ExitCode == 0 && gpu.ExitCode == 0, $"cpu: {cpu.Stderr}\ncuda: {gpu.Stderr}");
            Assert.Equal(cpu.Stdout.Trim(), gpu.Stdout.Trim());
        }
    }

    /// <summary>The cases without K2-sized weights (those allocate gigabytes of random weights; their shapes' smaller
    /// versions stay).</summary>
    private static IEnumerable<ComparisonCase> SmallCases() => BackendComparison.Cases()
        .Where(
            c => !c.Name.Contains("K2", StringComparison.Ordinal)
                && !c.Name.Contains("T=64 N=96 K=7168", StringComparison.Ordinal));

    private static float[] ReadFloats(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var values = new float[bytes.Length / 4];
        Buffer.BlockCopy(bytes, 0, values, 0, bytes.Length);
        return values;
    }
}

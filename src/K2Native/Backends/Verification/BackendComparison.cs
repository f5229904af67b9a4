// Compares a backend with the CPU backend (itself proven against transformers) op by op on adversarial shapes:
// odd token counts, widths that are not multiples of 8, KV lengths that are not multiples of the block size, block
// size 1, long contexts, expert counts and top-k up to the limits, exact ties in routing. Each case reports the
// relative L2 error against its tolerance, or the first mismatch of a discrete output (expert ids). Run by
// `k2 compare-backends --backend cuda` (a GPU machine without the .NET SDK can run a self-contained k2) and by
// tests/K2Native.Tests/Backends/Cuda/CudaBackendTests.cs, which skip without a GPU.
using K2Native.Backends;
using K2Native.Backends.Cpu;
using K2Native.Backends.Cuda;

namespace K2Native.Backends.Verification;

/// <summary>One comparison's outcome.</summary>
internal sealed record ComparisonResult(string Name, double Error, double Tolerance, string? Mismatch)
{
    public bool Passed => Mismatch is null && Error <= Tolerance;

    public override string ToString() =>
        $"{(Passed ? "PASS" : "FAIL")}  {Name,-58} rel L2 {Error:E2} (tolerance "
        + $"{Tolerance:E0}){(Mismatch is null ? "" : "  " + Mismatch)}";
}

/// <summary>Replays of candidate ops from CUDA graphs (compare-backends --graphs): counts, and the first difference
/// throws.</summary>
internal sealed class GraphCheck
{
    public int Replayed { get; set; }

    public int NotRecordable { get; set; }
}

/// <summary>A named comparison of an op on the candidate backend against the CPU backend.</summary>
internal sealed record ComparisonCase(string Name, Func<Backend, Backend, ComparisonResult> Run);

internal static partial class BackendComparison
{
    /// <summary>The reference: the CPU backend with exact float32 INT4 products.</summary>
    public static CpuBackend Reference() => new(Simd.Best, Int4Activations.Float32);

    /// <summary>Every case: dense ops, attention, routing and experts.</summary>
    public static IEnumerable<ComparisonCase> Cases() => DenseCases().Concat(AttentionCases()).Concat(MoeCases());

    /// <summary>Runs the cases; <paramref name="candidate"/> makes the backend under test (argument: tensor-core
    /// threshold).</summary>
    /// <param name="graphs">When set, every candidate op is also replayed from a CUDA graph and must match its eager
    /// output bit for bit.</param>
    public static List<ComparisonResult> RunAll(
        IEnumerable<ComparisonCase> cases, Func<int, Backend> candidate, Action<ComparisonResult>? report = null,
        GraphCheck? graphs = null)
    {
        _graphs = graphs;
        var results = new List<ComparisonResult>();
        using var reference = Reference();
        using var plain = candidate(0);
        using var tiled = candidate(16);
        foreach (var c in cases)
        {
            var backend = c.Name.Contains("tensor-core", StringComparison.Ordinal) ? tiled : plain;
            ComparisonResult result;
            try
            {
                result = c.Run(reference, backend);
            }
            catch (Exception e) when (e is InvalidOperationException or ArgumentException or NotSupportedException)
            {
                result = new ComparisonResult(c.Name, double.NaN, 0, $"threw {e.GetType().Name}: {e.Message}");
            }
            results.Add(result);
            report?.Invoke(result);
        }
        return results;
    }

    /// <summary>Relative L2 error ||a - e|| / ||e|| in float64; NaN when a holds a NaN.</summary>
    public static double RelativeL2(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected)
    {
        if (actual.Length != expected.Length) return double.NaN;
        double diff = 0, norm = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            double d = (double)actual[i] - expected[i];
            diff += d * d;
            norm += (double)expected[i] * expected[i];
        }
        return norm == 0 ? Math.Sqrt(diff) : Math.Sqrt(diff / norm);
    }

    /// <summary>Writes each input into a new tensor of the backend, runs <paramref name="op"/>, reads the output
    /// tensor. Under a GraphCheck, a CUDA candidate then runs the op again from a recorded graph, on fresh copies of
    /// the inputs and a cleared output, and the two outputs must be equal bit for bit.</summary>
    public static float[] Run(
        Backend b, (int Rows, int Cols, float[] Values)[] inputs, int outRows, int outCols, Action<Tensor[], Tensor> op)
    {
        var tensors = inputs.Select(i => b.NewTensor(i.Rows, i.Cols)).ToArray();
        using var output = b.NewTensor(outRows, outCols);
        try
        {
            for (int i = 0; i < inputs.Length; i++) b.Write(tensors[i], inputs[i].Values);
            op(tensors, output);
            var result = new float[outRows * outCols];
            b.Read(output, result);
            if (_graphs is not null && b is CudaBackend cuda)
                CheckReplay(cuda, tensors, inputs, output, op, result, _graphs);
            return result;
        }
        finally
        {
            foreach (var t in tensors) t.Dispose();
        }
    }

    [ThreadStatic]
    private static GraphCheck? _graphs;

    private static void CheckReplay(
        CudaBackend b, Tensor[] tensors, (int Rows, int Cols, float[] Values)[] inputs, Tensor output,
        Action<Tensor[], Tensor> op, float[] eager, GraphCheck graphs)
    {
        for (int i = 0; i < inputs.Length; i++) b.Write(tensors[i], inputs[i].Values);
        b.Clear(output);
        if (!b.RecordAndReplay(() => op(tensors, output)))
        {
            graphs.NotRecordable++;
            return;
        }
        var replayed = new float[eager.Length];
        b.Read(output, replayed);
        for (int i = 0; i < eager.Length; i++)
            if (BitConverter.SingleToInt32Bits(replayed[i]) != BitConverter.SingleToInt32Bits(eager[i]))
                throw new InvalidOperationException(
                    $"graph replay differs from the eager launches at element {i}: {replayed[i]:R} vs {eager[i]:R}");
        graphs.Replayed++;
    }

    /// <summary>Compares one output of both backends.</summary>
    public static ComparisonResult Compare(
        string name, double tolerance, Backend reference, Backend candidate, Func<Backend, float[]> run) =>
        new(name, RelativeL2(run(candidate), run(reference)), tolerance, null);
}

// `k2 logits`: one causal forward pass over the given ids; writes float32 little-endian logits [tokens, vocab]. With
// --reference it also compares them with a file of the same layout (relative L2, exit 1 above --tolerance), so a
// GPU machine checks the fixture against transformers without Python.
using CommandLine;
using K2Native.Checkpoint;
using K2Native.Model;

namespace K2Bench.Verbs;

[Verb("logits", HelpText = "Run one causal forward pass over token ids and write float32 little-endian logits [tokens, "
    + "vocab_size], row-major.")]
internal sealed class LogitsCommand : ICommand
{
    [Option("model", HelpText = "Checkpoint directory (default: the bundled checkpoint).")]
    public string? Model { get; set; }

    [Option("tokens", Required = true, HelpText = "Token ids, separated by spaces or commas.")]
    public string Tokens { get; set; } = "";

    [Option("backend", Default = "cpu", HelpText = "Compute backend: cpu, or cuda (needs libk2native and an NVIDIA "
        + "GPU).")]
    public string Backend { get; set; } = "cpu";

    [Option("out", Required = true, HelpText = "Output file for the logits.")]
    public string Out { get; set; } = "";

    [Option("reference", HelpText = "Reference logits (same layout) to compare with: prints the relative L2 error, "
        + "exit 1 above --tolerance.")]
    public string? Reference { get; set; }

    [Option("tolerance", Default = 1e-2, HelpText = "Largest relative L2 error accepted against --reference.")]
    public double Tolerance { get; set; } = 1e-2;

    public int Run()
    {
        using var checkpoint = K2Checkpoint.Open(ModelPaths.Resolve(Model));
        var ids = TokenList.Parse(Tokens, "--tokens", checkpoint.Config.VocabSize);
        var model = K2Model.Load(checkpoint, BackendFactory.Create(Backend));
        var logits = new float[(long)ids.Length * checkpoint.Config.VocabSize];
        model.Forward(ids, logits);
        using var file = new FileStream(Out, FileMode.Create, FileAccess.Write);
        file.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(logits.AsSpan()));
        Console.Error.WriteLine($"wrote {ids.Length} x {checkpoint.Config.VocabSize} logits to {Out}");
        return Reference is null ? 0 : CompareWithReference(logits);
    }

    private int CompareWithReference(float[] logits)
    {
        var bytes = File.ReadAllBytes(Reference!);
        if (bytes.Length != logits.Length * sizeof(float))
            throw new ArgumentException(
                $"--reference {Reference}: {bytes.Length} bytes, the logits are {logits.Length} floats "
                + $"({logits.Length * sizeof(float)} bytes)");
        var expected = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes);
        double error = K2Native.Backends.Verification.BackendComparison.RelativeL2(logits, expected);
        bool pass = error <= Tolerance;   // false for NaN too
        Console.WriteLine(
            $"{(pass ? "PASS" : "FAIL")}  logits vs {Reference}: relative L2 {error:E3} (tolerance {Tolerance:E0})");
        return pass ? 0 : 1;
    }
}

// Fuzz targets of the checkpoint loader: a safetensors header, model.safetensors.index.json, and config.json with
// its quantization_config. Properties: CheckpointException (with a message) or success, never another exception;
// on success the parsed values keep the loader's promises (tensors inside the data area with the bytes their shape
// needs; a config whose RoPE table and softmax scale are finite and whose module patterns match in bounded time).
using K2Native.Checkpoint;
using K2Native.Model;

namespace K2Native.Fuzz;

internal static class CheckpointTargets
{
    private const long DataLength = 1 << 16;

    public static readonly FuzzTarget SafetensorsHeader = new(
        "safetensors-header",
        "CheckpointException or a header whose tensors lie inside the data area, sized by shape x dtype",
        input =>
        {
            var header = Checkpoint.SafetensorsHeader.Parse(input, 8 + input.Length, DataLength, "fuzz.safetensors");
            long dataStart = 8 + input.Length;
            foreach (var t in header.Tensors.Values)
            {
                if (t.FileOffset < dataStart || t.FileOffset + t.ByteLength > dataStart + DataLength)
                    throw new PropertyViolation(
                        $"tensor '{t.Name}' at {t.FileOffset}+{t.ByteLength} is outside the data area");
                if (t.ByteLength != t.ElementCount * DTypes.SizeOf(t.DType))
                    throw new PropertyViolation(
                        $"tensor '{t.Name}': {t.ByteLength} bytes for {t.ElementCount} x {t.DType}");
            }
        },
        [typeof(CheckpointException)]);

    private static readonly Lazy<string> IndexDirectory = new(() =>
    {
        string dir = Path.Combine(Path.GetTempPath(), $"k2fuzz-index-{Environment.ProcessId}");
        Directory.CreateDirectory(dir);
        var writer = new Applications.Synth.SafetensorsWriter();
        writer.AddF32("a", [2], [1f, 2f]);
        writer.AddF32("b", [1], [3f]);
        writer.Save(Path.Combine(dir, "model-00001.safetensors"));
        return dir;
    });

    public static readonly FuzzTarget SafetensorsIndex = new(
        "safetensors-index",
        "CheckpointException or a checkpoint whose every tensor is in the shard the weight_map names",
        input =>
        {
            string dir = IndexDirectory.Value;
            File.WriteAllBytes(Path.Combine(dir, SafetensorsCheckpoint.IndexFileName), input);
            using var checkpoint = SafetensorsCheckpoint.Open(dir);
            foreach (string name in checkpoint.Names)
                if (!checkpoint.Get(name).File.Tensors.ContainsKey(name))
                    throw new PropertyViolation($"tensor '{name}' is not in the file it was found in");
        },
        [typeof(CheckpointException)],
        () => _ = IndexDirectory.Value);

    private static readonly string[] ModuleNames =
    [
        "model.layers.3.mlp.experts.17.gate_proj", "model.layers.0.self_attn.q_a_proj", "lm_head",
        "model.layers.60.mlp.shared_experts.down_proj",
    ];

    public static readonly FuzzTarget Config = new(
        "config",
        "CheckpointException or a config with a finite RoPE table and softmax scale, whose quantization patterns match "
        + "in bounded time",
        input =>
        {
            var config = K2Config.Parse(input, "config.json");
            var rope = Yarn.Rope(config);
            if (!rope.InverseFrequencies.All(double.IsFinite) || !float.IsFinite(rope.CosSinScale)
                || !float.IsFinite(Yarn.SoftmaxScale(config)))
                throw new PropertyViolation("an accepted config gives a non-finite RoPE table or softmax scale");
            foreach (string module in ModuleNames) _ = config.Quantization.IsQuantized(module);
        },
        [typeof(CheckpointException)]);
}

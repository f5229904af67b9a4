// Builds small K2-format checkpoints for tests (through the synth writer), and rewrites them with
// chosen tensors or config fields changed, to feed the loader bad or unusual input.
using System.Text.Json.Nodes;
using K2Native.Applications.Synth;
using K2Native.Checkpoint;

namespace K2Native.Tests.Support;

internal static class CheckpointFactory
{
    /// <summary>The tiny preset with optional changes.</summary>
    public static SynthArchitecture Tiny(Func<SynthArchitecture, SynthArchitecture>? change = null)
    {
        var a = SynthPreset.Get("tiny");
        return change is null ? a : change(a);
    }

    /// <summary>Writes a checkpoint into <paramref name="directory"/> (sharded at
    /// <paramref name="shardBytes"/>).</summary>
    public static string Write(
        string directory, SynthArchitecture? arch = null, ulong seed = 1, long shardBytes = long.MaxValue)
    {
        SynthCheckpoint.Write(arch ?? Tiny(), directory, seed, shardBytes);
        return directory;
    }

    /// <summary>Edits config.json as a JSON tree.</summary>
    public static void EditConfig(string directory, Action<JsonObject> edit)
    {
        string path = Path.Combine(directory, K2Config.FileName);
        var node = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(node);
        File.WriteAllText(path, node.ToJsonString());
    }

    /// <summary>Rewrites all tensors into one model.safetensors; <paramref name="change"/> may drop (null) or replace a
    /// tensor.</summary>
    public static void RewriteTensors(
        string directory,
        Func<string, DType, long[], byte[], (DType DType, long[] Shape, byte[] Bytes)?> change,
        Action<SafetensorsWriter>? extra = null)
    {
        var writer = new SafetensorsWriter();
        using (var tensors = SafetensorsCheckpoint.Open(directory))
        {
            foreach (var name in tensors.Names.Order(StringComparer.Ordinal))
            {
                var location = tensors.Get(name);
                var replaced = change(
                    name, location.Info.DType, location.Info.Shape, location.File.Bytes(location.Info).ToArray());
                if (replaced is { } r) writer.Add(name, r.DType, r.Shape, r.Bytes);
            }
        }
        extra?.Invoke(writer);
        foreach (var file in Directory.GetFiles(directory, "*.safetensors")) File.Delete(file);
        File.Delete(Path.Combine(directory, SafetensorsCheckpoint.IndexFileName));
        writer.Save(Path.Combine(directory, SafetensorsCheckpoint.SingleFileName));
    }
}

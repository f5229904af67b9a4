// The tensors of a checkpoint directory: one model.safetensors, or the shards that
// model.safetensors.index.json lists in its weight_map. Every file is validated and mapped once.
using System.Text.Json;

namespace K2Native.Checkpoint;

/// <summary>Where one tensor lives: its file and its validated header entry.</summary>
public readonly record struct TensorLocation(SafetensorsFile File, TensorInfo Info);

/// <summary>All tensors of a checkpoint directory, by name, over memory-mapped files.</summary>
public sealed class SafetensorsCheckpoint : IDisposable
{
    public const string IndexFileName = "model.safetensors.index.json";
    public const string SingleFileName = "model.safetensors";

    private readonly List<SafetensorsFile> _files;
    private readonly Dictionary<string, TensorLocation> _tensors;

    private SafetensorsCheckpoint(
        string directory, List<SafetensorsFile> files, Dictionary<string, TensorLocation> tensors)
    {
        Directory = directory;
        _files = files;
        _tensors = tensors;
    }

    /// <summary>The checkpoint directory.</summary>
    public string Directory { get; }

    /// <summary>The mapped files, in the order they were opened.</summary>
    public IReadOnlyList<SafetensorsFile> Files => _files;

    /// <summary>Every tensor name.</summary>
    public IEnumerable<string> Names => _tensors.Keys;

    /// <summary>Number of tensors.</summary>
    public int Count => _tensors.Count;

    /// <summary>Opens the index (if present) or the single file of <paramref name="directory"/>.</summary>
    public static SafetensorsCheckpoint Open(string directory)
    {
        if (!System.IO.Directory.Exists(directory))
            throw CheckpointException.InFile(directory, "checkpoint directory not found");
        string indexPath = Path.Combine(directory, IndexFileName);
        string singlePath = Path.Combine(directory, SingleFileName);
        if (File.Exists(indexPath)) return OpenSharded(directory, indexPath);
        if (File.Exists(singlePath)) return OpenSingle(directory, singlePath);
        throw CheckpointException.InFile(directory, $"neither {IndexFileName} nor {SingleFileName} is present");
    }

    /// <summary>Finds a tensor; false when absent.</summary>
    public bool TryGet(string name, out TensorLocation location) => _tensors.TryGetValue(name, out location);

    /// <summary>True when the checkpoint has a tensor of that name.</summary>
    public bool Contains(string name) => _tensors.ContainsKey(name);

    /// <summary>Finds a tensor or throws naming it and the directory.</summary>
    public TensorLocation Get(string name) =>
        _tensors.TryGetValue(name, out var location)
            ? location
            : throw new CheckpointException($"{Directory}: tensor '{name}' is missing")
            {
                File = Directory,
                Tensor = name
            };

    public void Dispose()
    {
        foreach (var file in _files) file.Dispose();
        _files.Clear();
    }

    private static SafetensorsCheckpoint OpenSingle(string directory, string path)
    {
        var file = SafetensorsFile.Open(path);
        var tensors = file.Tensors.Values.ToDictionary(
            t => t.Name, t => new TensorLocation(file, t), StringComparer.Ordinal);
        return new SafetensorsCheckpoint(directory, [file], tensors);
    }

    private static SafetensorsCheckpoint OpenSharded(string directory, string indexPath)
    {
        var weightMap = ReadWeightMap(indexPath);
        var files = new List<SafetensorsFile>();
        var byFileName = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
        var tensors = new Dictionary<string, TensorLocation>(StringComparer.Ordinal);
        try
        {
            foreach (var (name, fileName) in weightMap)
            {
                if (!byFileName.TryGetValue(fileName, out var file))
                {
                    string shardPath = Path.Combine(directory, fileName);
                    if (!File.Exists(shardPath))
                        throw new CheckpointException(
                            $"{indexPath}: weight_map sends tensor '{name}' to '{fileName}', which does not exist")
                        { File = indexPath, Tensor = name };
                    file = SafetensorsFile.Open(shardPath);
                    files.Add(file);
                    byFileName.Add(fileName, file);
                }
                if (!file.Tensors.TryGetValue(name, out var info))
                    throw new CheckpointException(
                        $"{indexPath}: weight_map sends tensor '{name}' to '{fileName}', whose header does not contain "
                        + "it")
                    { File = file.Path, Tensor = name };
                tensors.Add(name, new TensorLocation(file, info));
            }
        }
        catch
        {
            foreach (var file in files) file.Dispose();
            throw;
        }
        return new SafetensorsCheckpoint(directory, files, tensors);
    }

    private static List<(string Name, string File)> ReadWeightMap(string indexPath)
    {
        var info = new FileInfo(indexPath);
        if (info.Length > SafetensorsHeader.MaxHeaderBytes)
            throw CheckpointException.InFile(
                indexPath, $"is {info.Length} bytes, over the {SafetensorsHeader.MaxHeaderBytes}-byte limit");
        var doc = CheckpointJson.Parse(File.ReadAllBytes(indexPath), indexPath, maxDepth: 8);
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object
                || !doc.RootElement.TryGetProperty("weight_map", out var map)
                || map.ValueKind != JsonValueKind.Object)
                throw CheckpointException.ForField(indexPath, "weight_map", "missing or not an object");
            var entries = new List<(string, string)>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var entry in map.EnumerateObject())
            {
                if (entry.Value.ValueKind != JsonValueKind.String)
                    throw CheckpointException.ForField(
                        indexPath, $"weight_map.{entry.Name}", "file name must be a string");
                string fileName = entry.Value.GetString()!;
                if (fileName.Length == 0 || fileName != Path.GetFileName(fileName) || fileName is "." or "..")
                    throw CheckpointException.ForField(
                        indexPath, $"weight_map.{entry.Name}",
                        $"'{fileName}' is not a plain file name inside the checkpoint directory");
                if (!seen.Add(entry.Name))
                    throw CheckpointException.ForField(indexPath, $"weight_map.{entry.Name}", "tensor listed twice");
                entries.Add((entry.Name, fileName));
            }
            return entries;
        }
    }
}

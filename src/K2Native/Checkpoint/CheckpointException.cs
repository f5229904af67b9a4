// The one exception type the loader throws: every message names the file and, where it applies,
// the tensor, the config field or the byte offset that is wrong.
namespace K2Native.Checkpoint;

/// <summary>A checkpoint (safetensors, index or config.json) is malformed, inconsistent or unsupported.</summary>
public class CheckpointException : Exception
{
    public CheckpointException(string message) : base(message) { }

    public CheckpointException(string message, Exception inner) : base(message, inner) { }

    /// <summary>The file the problem was found in, when one file is to blame.</summary>
    public string? File { get; init; }

    /// <summary>The tensor the problem concerns, if any.</summary>
    public string? Tensor { get; init; }

    /// <summary>The config.json field the problem concerns, if any.</summary>
    public string? Field { get; init; }

    internal static CheckpointException InFile(string file, string problem) =>
        new($"{file}: {problem}") { File = file };

    internal static CheckpointException ForTensor(string file, string tensor, string problem) =>
        new($"{file}: tensor '{tensor}': {problem}") { File = file, Tensor = tensor };

    internal static CheckpointException ForField(string file, string field, string problem) =>
        new($"{file}: field '{field}': {problem}") { File = file, Field = field };
}

/// <summary>The checkpoint refers to a feature (quantization scheme, architecture option) this engine does not
/// run.</summary>
public sealed class UnsupportedCheckpointException : CheckpointException
{
    public UnsupportedCheckpointException(string message) : base(message) { }
}

/// <summary>Several problems found while cross-checking config.json against the tensors; all of them are
/// listed.</summary>
public sealed class CheckpointValidationException : CheckpointException
{
    public CheckpointValidationException(string directory, IReadOnlyList<string> problems)
        : base(Format(directory, problems))
    {
        Problems = problems;
        File = directory;
    }

    /// <summary>Every problem, one line each, each naming its file and tensor.</summary>
    public IReadOnlyList<string> Problems { get; }

    private static string Format(string directory, IReadOnlyList<string> problems) =>
        $"checkpoint {directory} does not match its config.json ({problems.Count} "
        + $"problem{(problems.Count == 1 ? "" : "s")}):"
        + string.Concat(problems.Select(p => "\n  - " + p));
}

// The fuzz targets and the rule they share: an input may be refused only with the parser's own typed exception
// (Allowed); any other exception, or a property check failing (PropertyViolation), is a finding. Time and memory are
// bounded from outside: afl-fuzz's -t and -m, and the replay mode's TimeBound.
namespace K2Native.Fuzz;

/// <summary>A property of a target did not hold for an input.</summary>
internal sealed class PropertyViolation(string message) : Exception(message);

/// <summary>One fuzz target.</summary>
internal sealed record FuzzTarget(
    string Name, string Properties, Action<byte[]> Body, Type[] Allowed, Action? Setup = null)
{
    /// <summary>One-time work before the fork server starts (loading a tokenizer), so every input does not repeat
    /// it.</summary>
    public void Prepare() => Setup?.Invoke();

    /// <summary>Runs one input; the typed refusal when the target refused it, null when it accepted it.</summary>
    public Exception? Run(byte[] input)
    {
        Prepare();
        try
        {
            Body(input);
            return null;
        }
        catch (Exception e) when (Allowed.Any(t => t.IsInstanceOfType(e)) && e is not PropertyViolation)
        {
            if (string.IsNullOrWhiteSpace(e.Message))
                throw new PropertyViolation($"{e.GetType().Name} without a message");
            return e;
        }
    }
}

internal static class FuzzTargets
{
    /// <summary>The longest one input may take in replay mode (CI's afl-fuzz runs use -t with the same
    /// bound).</summary>
    public static readonly TimeSpan TimeBound = TimeSpan.FromSeconds(2);

    public static readonly FuzzTarget[] All =
    [
        CheckpointTargets.SafetensorsHeader,
        CheckpointTargets.SafetensorsIndex,
        CheckpointTargets.Config,
        TokenizerTargets.Files,
        TokenizerTargets.Text,
        OutputParserTarget.Target,
        ConversationTarget.Target,
        ServerRequestTargets.Chat,
        ServerRequestTargets.Completion,
    ];

    public static FuzzTarget? Find(string name) => All.FirstOrDefault(t => t.Name == name);
}

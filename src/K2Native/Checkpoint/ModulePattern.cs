// One entry of quantization_config's `targets` or `ignore`: a module name, the class name "Linear" (targets only),
// or "re:" and a regular expression matched from the start of the name, as compressed-tensors does. Patterns come
// from an untrusted file and are matched against every Linear module (about 69,000 in K2), so a regex is compiled
// once with RegexOptions.NonBacktracking: matching takes time linear in the name's length whatever the pattern,
// and a pattern that engine cannot run (backreferences, lookarounds) is refused as a checkpoint problem.
using System.Text.RegularExpressions;

namespace K2Native.Checkpoint;

internal sealed class ModulePattern
{
    private readonly string _text;
    private readonly Regex? _regex;

    private ModulePattern(string text, Regex? regex)
    {
        _text = text;
        _regex = regex;
    }

    /// <summary>The pattern, or null with <paramref name="problem"/> saying why it cannot be used.</summary>
    public static ModulePattern? Create(string text, out string? problem)
    {
        problem = null;
        if (!text.StartsWith("re:", StringComparison.Ordinal)) return new ModulePattern(text, null);
        string shown = text.Length <= 80 ? text : text[..77] + "...";
        if (text.Length > QuantizationScheme.MaxPatternLength)
        {
            problem = $"pattern '{shown}' is {text.Length} characters long, over the "
                + $"{QuantizationScheme.MaxPatternLength}-character limit";
            return null;
        }
        try
        {
            var regex = new Regex(
                "^(?:" + text[3..] + ")", RegexOptions.CultureInvariant | RegexOptions.NonBacktracking);
            return new ModulePattern(text, regex);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException)
        {
            problem = $"pattern '{shown}' is not a regular expression this engine can match in linear time: "
                + $"{e.Message}";
            return null;
        }
    }

    public bool Matches(string module, bool isTarget)
    {
        if (_regex is not null) return _regex.IsMatch(module);
        if (isTarget && _text == "Linear") return true;
        return _text == module;
    }
}

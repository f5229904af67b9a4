// What `k2` prints about its command line: --help (to stdout: a line saying what the verb does, a usage line,
// examples where the verb has them, the options), and parser errors (to stderr: one line saying what is wrong,
// with the valid values of an enum option, then a one-line hint). No version banner, no copyright line.
using System.Reflection;
using CommandLine;
using CommandLine.Text;

namespace K2Bench;

internal static class CommandLineText
{
    /// <summary>How a verb's [Usage] examples are written: only the options that differ from their defaults.</summary>
    public static readonly UnParserSettings ExampleStyle = new() { SkipDefault = true, PreferShortName = false };

    /// <summary>Help for the verb (or the verb list) <paramref name="result"/> is about.</summary>
    public static string Help<T>(ParserResult<T> result, string prefix)
    {
        var original = SentenceBuilder.Create();
        SentenceBuilder.Factory = () => new Sentences(original);
        var verb = result.TypeInfo.Current.GetCustomAttribute<VerbAttribute>();
        bool verbList = verb is null || result.TypeInfo.Current == typeof(NullInstance);
        var help = HelpText.AutoBuild(result, h =>
        {
            h.Heading = verbList
                ? $"{prefix}: the K2Native console.\nusage: {prefix} COMMAND [options]   ({prefix} COMMAND --help for "
                    + "a command's options and examples)"
                : $"{prefix} {verb!.Name}: {verb.HelpText}\nusage: {prefix} {verb.Name} [options]";
            h.Copyright = string.Empty;
            h.AdditionalNewLineAfterOption = false;
            h.AddDashesToOption = true;
            h.AutoVersion = false;
            h.MaximumDisplayWidth = 120;
            return h;
        }, e => e, verbsIndex: verbList);
        if (verbList)
        {
            help.AddPreOptionsLine("");
            help.AddPreOptionsLine("commands:");
        }
        return help.ToString().TrimEnd('\n', '\r', ' ') + "\n";
    }

    /// <summary>The one-line description of the first parser error, with the valid values of an enum option.</summary>
    public static string Describe(Error error, Type? verb, string[] args, IEnumerable<string> verbNames) => error switch
    {
        UnknownOptionError u => $"unknown option {Dashes(u.Token)}",
        BadVerbSelectedError b => $"unknown command '{b.Token}' (commands: {string.Join(", ", verbNames)})",
        NoVerbSelectedError => $"name a command ({string.Join(", ", verbNames)})",
        MissingRequiredOptionError m when m.NameInfo.LongName.Length > 0 => $"--{m.NameInfo.LongName} is required",
        MissingRequiredOptionError => "a required value is missing",
        MissingValueOptionError m => $"--{m.NameInfo.LongName} needs a value",
        BadFormatConversionError b => BadValue(b.NameInfo.LongName, verb, args),
        SetValueExceptionError s => $"--{s.NameInfo.LongName}: {s.Exception.Message}",
        RepeatedOptionError r => $"--{r.NameInfo.LongName} is given more than once",
        MutuallyExclusiveSetError m => $"--{m.NameInfo.LongName} cannot be used with the other options given (see "
            + "--help)",
        SequenceOutOfRangeError s => $"--{s.NameInfo.LongName} has too many or too few values",
        BadFormatTokenError b => $"cannot read '{b.Token}'",
        _ => error.Tag.ToString(),
    };

    /// <summary>CommandLineParser's sentences, with the examples called examples.</summary>
    private sealed class Sentences(SentenceBuilder _default) : SentenceBuilder
    {
        public override Func<string> RequiredWord => _default.RequiredWord;
        public override Func<string> OptionGroupWord => _default.OptionGroupWord;
        public override Func<string> ErrorsHeadingText => _default.ErrorsHeadingText;
        public override Func<string> UsageHeadingText => () => "examples:";
        public override Func<bool, string> HelpCommandText => _default.HelpCommandText;
        public override Func<bool, string> VersionCommandText => _default.VersionCommandText;
        public override Func<Error, string> FormatError => _default.FormatError;
        public override Func<IEnumerable<MutuallyExclusiveSetError>, string> FormatMutuallyExclusiveSetErrors =>
            _default.FormatMutuallyExclusiveSetErrors;
    }

    private static string Dashes(string token) => token.Length == 1 ? "-" + token : "--" + token;

    /// <summary>"--format 'x' is not one of: thinking, instruct" (or "is not an integer" and the like).</summary>
    private static string BadValue(string name, Type? verb, string[] args)
    {
        string? value = null;
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--" + name && i + 1 < args.Length) value = args[i + 1];
            else if (args[i].StartsWith("--" + name + "=", StringComparison.Ordinal))
                value = args[i][(name.Length + 3)..];
        }
        var type = verb?.GetProperties()
            .FirstOrDefault(p => p.GetCustomAttribute<OptionAttribute>()?.LongName == name)
            ?.PropertyType;
        type = type is null ? null : Nullable.GetUnderlyingType(type) ?? type;
        string expected = type switch
        {
            { IsEnum: true } => "is not one of: "
                + string.Join(", ", Enum.GetNames(type).Select(n => n.ToLowerInvariant())),
            _ when type == typeof(int) || type == typeof(long) => "is not an integer",
            _ when type == typeof(ulong) => "is not a non-negative integer",
            _ when type == typeof(float) || type == typeof(double) => "is not a number",
            _ => "is not a valid value",
        };
        return $"--{name} '{value}' {expected}";
    }
}

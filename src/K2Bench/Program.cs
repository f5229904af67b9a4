// `k2`: the K2Native console. Each verb is one class under Verbs/ implementing ICommand, found by its [Verb]
// attribute, so adding a command is adding a file. `k2 bench <target>` works the same way one level down: the
// targets are the classes under Bench/ that implement IBenchCommand. The parser (CommandLineParser) writes nothing
// itself: --help goes to stdout, a mistake is one line and a hint on stderr with exit code 2 (CommandLineText).
using System.Reflection;
using CommandLine;
using K2Bench;
using K2Native.Checkpoint;

Type[] Verbs(bool bench) => typeof(ICommand).Assembly.GetTypes()
    .Where(t => t.GetCustomAttribute<VerbAttribute>() is not null && typeof(ICommand).IsAssignableFrom(t)
                && typeof(IBenchCommand).IsAssignableFrom(t) == bench)
    .OrderBy(t => t.GetCustomAttribute<VerbAttribute>()!.Name, StringComparer.Ordinal)
    .ToArray();

bool isBench = args.Length > 0 && args[0] == "bench";
string prefix = isBench ? "k2 bench" : "k2";
if (isBench && Verbs(bench: true).Length == 0)
{
    Console.Error.WriteLine("k2 bench: this build has no benchmark targets");
    return 2;
}
var verbs = Verbs(isBench);
string[] verbArgs = isBench ? args[1..] : args;
using var parser = new Parser(settings =>
{
    settings.HelpWriter = null;
    settings.CaseInsensitiveEnumValues = true;
    settings.AutoVersion = true;
    settings.AutoHelp = true;
});
var parsed = parser.ParseArguments(verbArgs, verbs);
return parsed.MapResult((ICommand command) => Run(command, prefix), errors => Failed(parsed, errors.ToList()));

int Failed(ParserResult<object> result, List<Error> errors)
{
    if (errors.Any(e => e.Tag is ErrorType.HelpRequestedError or ErrorType.HelpVerbRequestedError)
        || (errors.Count == 1 && errors[0] is NoVerbSelectedError && verbArgs.Length == 0))
    {
        Console.Out.Write(CommandLineText.Help(result, prefix));
        return 0;
    }
    if (errors.Any(e => e.Tag == ErrorType.VersionRequestedError))
    {
        Console.Out.WriteLine($"k2 {typeof(ICommand).Assembly.GetName().Version}");
        return 0;
    }
    var verb = result.TypeInfo.Current.GetCustomAttribute<VerbAttribute>() is null ? null : result.TypeInfo.Current;
    var names = verbs.Select(t => t.GetCustomAttribute<VerbAttribute>()!.Name);
    return Usage(verb, CommandLineText.Describe(errors[0], verb, verbArgs, names), prefix);
}

static int Usage(Type? verb, string message, string prefix)
{
    string command = verb is null ? prefix : $"{prefix} {verb.GetCustomAttribute<VerbAttribute>()!.Name}";
    Console.Error.WriteLine($"{command}: {message}");
    Console.Error.WriteLine(
        $"run '{command} --help' for the options{(verb is null ? " and commands" : " and examples")}");
    return 2;
}

static int Run(ICommand command, string prefix)
{
    try
    {
        return command.Run();
    }
    catch (UsageException e)
    {
        return Usage(command.GetType(), e.Message, prefix);
    }
    catch (Exception e) when (e is CheckpointException
        or ArgumentException
        or IOException
        or FormatException
        or InvalidOperationException
        or UnauthorizedAccessException)
    {
        Console.Error.WriteLine($"k2: error: {e.Message}");
        return 1;
    }
}

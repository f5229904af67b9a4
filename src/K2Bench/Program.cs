// `k2`: the K2Native console. Each verb is one class under Commands/ implementing ICommand, found by
// its [Verb] attribute, so adding a command is adding a file. `k2 bench <target>` works the same way
// one level down: benchmark targets implement IBenchCommand.
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
if (isBench && Verbs(bench: true).Length == 0)
{
    Console.Error.WriteLine("k2 bench: this build has no benchmark targets");
    return 2;
}
using var parser = new Parser(settings =>
{
    settings.HelpWriter = Console.Error;
    settings.CaseInsensitiveEnumValues = true;
    settings.AutoVersion = true;
});
var parsed = isBench ? parser.ParseArguments(args[1..], Verbs(bench: true)) : parser.ParseArguments(args, Verbs(bench: false));
return parsed.MapResult(
    (ICommand command) => Run(command),
    errors => errors.All(e => e.Tag is ErrorType.HelpRequestedError or ErrorType.HelpVerbRequestedError or ErrorType.VersionRequestedError) ? 0 : 2);

static int Run(ICommand command)
{
    try
    {
        return command.Run();
    }
    catch (Exception e) when (e is CheckpointException or ArgumentException or IOException or FormatException or InvalidOperationException or UnauthorizedAccessException)
    {
        Console.Error.WriteLine($"k2: error: {e.Message}");
        return 1;
    }
}

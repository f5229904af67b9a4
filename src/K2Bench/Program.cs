// `k2`: the K2Native console. Each verb is one class under Commands/ implementing ICommand;
// verbs are discovered by their [Verb] attribute, so adding a command is adding a file.
using System.Reflection;
using CommandLine;
using K2Bench;
using K2Native.Checkpoint;

var verbs = typeof(ICommand).Assembly.GetTypes()
    .Where(t => t.GetCustomAttribute<VerbAttribute>() is not null && typeof(ICommand).IsAssignableFrom(t))
    .OrderBy(t => t.GetCustomAttribute<VerbAttribute>()!.Name, StringComparer.Ordinal)
    .ToArray();

using var parser = new Parser(settings =>
{
    settings.HelpWriter = Console.Error;
    settings.CaseInsensitiveEnumValues = true;
    settings.AutoVersion = true;
});
var parsed = parser.ParseArguments(args, verbs);
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

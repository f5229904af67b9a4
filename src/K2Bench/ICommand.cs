// The contract of a `k2` verb: options are its properties (CommandLineParser), Run does the work.
namespace K2Bench;

/// <summary>A `k2` verb.</summary>
public interface ICommand
{
    /// <summary>Runs the command; returns the process exit code (0 on success).</summary>
    int Run();
}

/// <summary>A `k2 bench &lt;target&gt;` verb (its [Verb] name is the target).</summary>
public interface IBenchCommand : ICommand;

// A mistake in how `k2` was called that the parser could not see (an option value outside its known set, a
// combination that makes no sense): reported like a parser error, one line and a hint, exit code 2.
namespace K2Bench;

internal sealed class UsageException(string message) : ArgumentException(message);

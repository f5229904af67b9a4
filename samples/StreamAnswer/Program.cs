// Loads a checkpoint (default: the repository's bundled random-weight models/tiny-random) and streams the answer to
// one question through the public API of the K2Native package: ModelHost, ChatTurn, the parsed output events.
// Run: dotnet run --project samples/StreamAnswer -p:K2NativeFeed=DIR -p:K2NativeVersion=V -- [CHECKPOINT] [QUESTION]
using K2Native.Backends.Cpu;
using K2Native.Runtime;
using K2Native.Text;

string checkpoint = args.Length > 0
    ? args[0]
    : Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "models", "tiny-random");
string question = args.Length > 1 ? args[1] : "What is 17 * 23?";

using var host = ModelHost.Open(checkpoint, new CpuBackend());
var settings = new ChatSettings { MaxTokens = 16 };
var turn = new ChatTurn(host.Engine, host.Template, [ChatMessage.User(question)], tools: null, settings);
Console.WriteLine($"model: {host.Checkpoint.Directory} ({host.Template.Format} format)");
Console.WriteLine($"you: {question}");
Console.Write("k2: ");
int deltas = 0;
await foreach (var e in turn.StreamAsync())
{
    switch (e)
    {
        case ContentDelta c:
            Console.Write(c.Text);
            deltas++;
            break;
        case ReasoningDelta r:
            Console.Write(r.Text);   // a thinking model reasons first; a real app would show it apart
            deltas++;
            break;
        case Finished f:
            Console.WriteLine();
            Console.WriteLine($"finished: {f.Reason}, {turn.Result!.GeneratedTokens} tokens, {deltas} streamed pieces");
            break;
    }
}
return turn.Result!.GeneratedTokens > 0 ? 0 : 1;

// Where an evaluation's assistant messages come from: the engine in production (EngineAssistant), a scripted
// or replayed source in tests. The evaluation loop only sees this seam.
using System.Text.Json.Nodes;
using K2Native.Runtime;
using K2Native.Text;

namespace K2Native.Applications.Eval;

/// <summary>Produces the assistant's next message for a conversation.</summary>
internal interface IAssistantSource
{
    /// <summary>The assistant message answering <paramref name="messages"/> with <paramref name="tools"/>
    /// declared.</summary>
    Task<AssistantReply> ReplyAsync(
        IReadOnlyList<ChatMessage> messages, JsonArray tools, CancellationToken cancellationToken);
}

/// <summary>An assistant message, the generation's figures when a model made it, and output that did not
/// parse.</summary>
internal sealed record AssistantReply(
    ChatMessage Message, GenerationResult? Generation = null, IReadOnlyList<MalformedOutput>? Problems = null);

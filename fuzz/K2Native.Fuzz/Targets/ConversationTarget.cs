// Fuzz target of chat conversation JSON (what `k2 template` and the REPL's /load read): ChatFormatException or a
// conversation that renders in both formats and survives a save and load unchanged, with the same prompt.
using K2Native.Text;

namespace K2Native.Fuzz;

internal static class ConversationTarget
{
    public static readonly FuzzTarget Target = new(
        "conversation",
        "ChatFormatException, or it renders in both formats and ToJson -> Parse gives an equal conversation and prompt",
        input =>
        {
            var conversation = Conversation.Parse(input);
            string thinking = ChatTemplate.Thinking.Render(conversation);
            _ = ChatTemplate.Instruct.Render(conversation);
            var again = Conversation.Parse(conversation.ToJson());
            if (!again.Equals(conversation))
                throw new PropertyViolation("ToJson -> Parse gave a different conversation");
            if (ChatTemplate.Thinking.Render(again) != thinking)
                throw new PropertyViolation("ToJson -> Parse changed the rendered prompt");
        },
        [typeof(ChatFormatException)]);
}

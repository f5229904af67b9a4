// OpenAI's tool_choice: "none" (no call may be made), "auto" (the model decides), "required" (some call must
// be made) or one named function (that call must be made). Enforced while sampling by ToolCallConstraint.
namespace K2Native.Serving;

public enum ToolChoiceMode
{
    Auto,
    None,
    Required,
    Named,
}

/// <summary>Which tool calls a request allows or requires; <see cref="Name"/> is set for
/// <see cref="ToolChoiceMode.Named"/>.</summary>
public sealed record ToolChoice(ToolChoiceMode Mode, string? Name = null)
{
    public static ToolChoice Auto { get; } = new(ToolChoiceMode.Auto);

    public static ToolChoice None { get; } = new(ToolChoiceMode.None);

    public static ToolChoice Required { get; } = new(ToolChoiceMode.Required);

    public override string ToString() => Mode == ToolChoiceMode.Named
        ? $"function {Name}"
        : Mode.ToString().ToLowerInvariant();
}

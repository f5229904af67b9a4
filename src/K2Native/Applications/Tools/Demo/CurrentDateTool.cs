// The demo `current_date`: "YYYY-MM-DD (Weekday)". The date comes from the caller: the host's local date in
// `k2 chat`, the task's `today` in `k2 eval demo`. Arguments are ignored (the declaration has none).
using System.Globalization;
using System.Text.Json.Nodes;

namespace K2Native.Applications.Tools.Demo;

/// <summary>current_date() -> "2026-11-23 (Monday)".</summary>
internal sealed class CurrentDateTool(JsonObject declaration, Func<DateOnly> today) : DemoTool(declaration)
{
    /// <summary>A date as the tool reports it.</summary>
    public static string Format(DateOnly date) =>
        date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + " (" + date.DayOfWeek + ")";

    protected override string Run(JsonObject arguments) => Format(today());
}

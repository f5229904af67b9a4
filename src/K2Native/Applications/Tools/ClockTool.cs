// The `current_time` tool: the local date and time, ISO 8601 with the UTC offset, from an injectable clock.
using System.Globalization;
using System.Text.Json.Nodes;

namespace K2Native.Applications.Tools;

/// <summary>current_time() -> "2026-11-23T14:05:00+01:00 (Monday)".</summary>
internal sealed class ClockTool(TimeProvider? time = null) : BuiltinTool
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public override string Name => "current_time";

    public override string Description => "The current local date and time (ISO 8601 with UTC offset) and weekday";

    public override JsonObject Parameters() => new() { ["type"] = "object", ["properties"] = new JsonObject() };

    protected override string Run(JsonObject arguments)
    {
        var now = _time.GetLocalNow();
        return now.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture) + " (" + now.DayOfWeek + ")";
    }
}

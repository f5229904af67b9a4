// The line `k2 chat` shows on a terminal between Enter and the answer's first text: a spinner with the prompt
// tokens done out of all, and the prefill speed so far. The engine thread reports progress; a timer draws it
// ten times a second; Stop erases it before anything else is written.
using System.Diagnostics;
using System.Globalization;

namespace K2Bench.Repl;

/// <summary>Sees a turn's prefill progress (on the engine thread) until the first text of the answer.</summary>
internal interface IPrefillProgress : IDisposable
{
    /// <summary>(prompt tokens done, prompt tokens).</summary>
    void Progress(int done, int total);

    /// <summary>The answer has started (or the turn ended); later calls do nothing.</summary>
    void Stop();
}

internal sealed class PrefillSpinner : IPrefillProgress
{
    private static readonly string[] Frames = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

    private readonly TextWriter _screen;
    private readonly Timer _timer;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly object _lock = new();
    private int _done, _total, _frame, _first = -1;
    private bool _stopped;

    public PrefillSpinner(TextWriter screen)
    {
        _screen = screen;
        _timer = new Timer(_ => Draw(), null, TimeSpan.FromMilliseconds(80), TimeSpan.FromMilliseconds(100));
    }

    /// <summary>(prompt tokens done, prompt tokens); the first report's count is taken as reused from the
    /// cache.</summary>
    public void Progress(int done, int total)
    {
        lock (_lock)
        {
            if (_first < 0) _first = done;
            (_done, _total) = (done, total);
        }
    }

    /// <summary>Erases the spinner; later calls do nothing.</summary>
    public void Stop()
    {
        lock (_lock)
        {
            if (_stopped) return;
            _stopped = true;
            _timer.Dispose();
            _screen.Write("\r\u001b[K");
            _screen.Flush();
        }
    }

    public void Dispose() => Stop();

    private void Draw()
    {
        lock (_lock)
        {
            if (_stopped) return;
            double seconds = _clock.Elapsed.TotalSeconds;
            string text = _total == 0
                ? "waiting for the engine"
                : string.Create(
                    CultureInfo.InvariantCulture,
                    $"prefill {_done}/{_total} tokens · {(seconds > 0 ? (_done - _first) / seconds : 0):F0} tok/s");
            _screen.Write($"\r\u001b[90m{Frames[_frame++ % Frames.Length]} {text} · Ctrl+C stops\u001b[0m\u001b[K");
            _screen.Flush();
        }
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Text;
using Sbuild.Solver;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Sbuild.Cli;

/// <summary>
/// <c>--progress=tty</c>: a live display on a terminal, drawn with Spectre.Console on standard error. A finished step
/// is printed once, for good, as one line (<c> => NAME … DONE 1.2s</c>, <c>CACHED</c>, <c>ERROR 0.3s</c>,
/// <c>CANCELED 0.3s</c>), as are notes (<c> => pulled …</c>) and warnings (<c>WARN: …</c>). Below them, redrawn ten times a second, is the live part: each running step with its timer and
/// the last <see cref="TailLines"/> lines of its output (<c> => => # …</c>), then a status line
/// (<c>[+] Building 2.1s (3/5)</c>: finished of seen steps). When the display ends (the build is over, failed, was
/// cancelled, or the process is exiting) the live part is replaced by a summary such as
/// <c>Built in 3.2s: 5 steps, 2 cached</c> (only after <see cref="ProgressDisplay.Complete"/>; else "Stopped", "Failed"
/// or "Cancelled") and the cursor is shown again.
/// </summary>
/// <remarks>
/// Spectre.Console's <c>LiveDisplay</c> redraws one renderable in place and never shrinks it; this display instead
/// keeps finished steps in the terminal's scrollback (a long build stays readable) and redraws only the running part,
/// with Spectre.Console doing the styling, colour detection (<c>NO_COLOR</c>), cell widths and cursor control. Each
/// frame is written with one write to keep the terminal from flickering. Nothing else writes to the terminal while it
/// runs: the build command ends it before it prints the image ID or an error.
/// </remarks>
public sealed class TtyProgress : ProgressDisplay
{
    /// <summary>How many of its last output lines a running step shows.</summary>
    public const int TailLines = 6;

    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);
    private static readonly Style Arrow = new(Color.Blue);
    private static readonly Style Running = new(decoration: Decoration.Bold);
    private static readonly Style Faint = new(Color.Grey);
    private static readonly Style DoneStyle = new(Color.Green);
    private static readonly Style CachedStyle = new(Color.Aqua);
    private static readonly Style ErrorStyle = new(Color.Red, decoration: Decoration.Bold);
    private static readonly Style WarnStyle = new(Color.Yellow);

    private readonly IAnsiConsole _console;
    private readonly CancellationToken _cancellation;
    private readonly Lock _gate = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<Step> _running = [];
    private readonly List<Line> _finished = [];
    private readonly Timer? _timer;
    private readonly EventHandler? _exiting;
    private int _liveHeight;
    private int _steps, _cached, _failed, _canceled;
    private bool _started, _stopped;

    /// <param name="console">Where to draw; it must understand ANSI cursor control.</param>
    /// <param name="cancellation">The build's token: once it fires, the display says the build is being cancelled.</param>
    /// <param name="live">Redraw the running steps on a timer and restore the terminal if the process exits first;
    /// without it (tests) frames are drawn on <see cref="Refresh"/> and at the end.</param>
    public TtyProgress(IAnsiConsole console, CancellationToken cancellation, bool live = true)
    {
        _console = console;
        _cancellation = cancellation;
        if (!live) return;
        // If the command line library gives up waiting for a cancelled build, Main returns while the build still
        // runs: the display must still end (final state, cursor back) before the process does.
        _exiting = (_, _) => Stop();
        AppDomain.CurrentDomain.ProcessExit += _exiting;
        _timer = new Timer(_ => Refresh(), null, Interval, Interval);
    }

    /// <summary>The display for this process's standard error, which is taken to be a terminal.</summary>
    public static TtyProgress OnStandardError(CancellationToken cancellation)
    {
        // Frames are buffered and flushed whole, on standard error only: stdout carries the image ID or an archive.
        var stderr = new StreamWriter(Console.OpenStandardError(), new UTF8Encoding(false), 16384) { AutoFlush = false };
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.Yes, // asked for (or auto found a terminal): cursor control is the point
            ColorSystem = ColorSystemSupport.Detect,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(stderr),
        });
        return new TtyProgress(console, cancellation);
    }

    public override void Report(SolveEvent value)
    {
        lock (_gate)
        {
            if (_stopped) return;
            switch (value.Status)
            {
                case VertexStatus.Started:
                    _running.Add(new Step(value.Name, _clock.Elapsed));
                    // Why the cache missed, kept in the scrollback above the running step (the name says which step).
                    if (value.CacheMiss is { } miss)
                        _finished.Add(new Line([new Segment(" => ", Arrow), new Segment(Clean("cache miss: " + miss), Faint)], null, Style.Plain, Truncate: false));
                    break;
                case VertexStatus.Cached:
                    _steps++;
                    _cached++;
                    _finished.Add(StepLine(value.Name, "CACHED", CachedStyle));
                    break;
                case VertexStatus.Completed:
                    Finish(value.Name);
                    _finished.Add(StepLine(value.Name, $"DONE {Seconds(value.Elapsed)}", DoneStyle));
                    break;
                case VertexStatus.Failed when value.Error is OperationCanceledException:
                    Finish(value.Name);
                    _canceled++;
                    _finished.Add(StepLine(value.Name, $"CANCELED {Seconds(value.Elapsed)}", WarnStyle));
                    break;
                case VertexStatus.Failed:
                    Finish(value.Name);
                    _failed++;
                    _finished.Add(StepLine(value.Name, $"ERROR {Seconds(value.Elapsed)}", ErrorStyle, ErrorStyle));
                    break;
            }
        }
    }

    public override void Output(string vertexName, string line)
    {
        lock (_gate)
        {
            if (_stopped) return;
            var step = _running.Find(s => s.Name == vertexName);
            if (step is null) return;
            step.Tail.Enqueue(Clean(line));
            while (step.Tail.Count > TailLines) step.Tail.Dequeue();
        }
    }

    public override void Note(string message)
    {
        lock (_gate)
        {
            if (_stopped) return;
            _finished.Add(new Line([new Segment(" => ", Arrow), new Segment(Clean(message))], null, Style.Plain, Truncate: false));
        }
    }

    /// <summary>Draws a frame now: finished lines since the last one, then the running steps and the status line.</summary>
    public void Refresh()
    {
        lock (_gate)
        {
            if (_stopped) return;
            Draw(LiveLines(Height));
        }
    }

    public override void Warning(string message)
    {
        lock (_gate)
        {
            if (_stopped) return;
            _finished.Add(new Line([new Segment(Clean($"WARN: {message}"), WarnStyle)], null, Style.Plain, Truncate: false));
        }
    }

    private void Finish(string name)
    {
        var index = _running.FindIndex(s => s.Name == name);
        if (index >= 0) _running.RemoveAt(index);
        _steps++;
    }

    private static Line StepLine(string name, string status, Style statusStyle, Style? nameStyle = null) =>
        new([new Segment(" => ", Arrow), new Segment(Clean(name), nameStyle ?? Style.Plain)], status, statusStyle, Truncate: false);

    private List<Line> LiveLines(int height)
    {
        var lines = new List<Line>();
        // Never taller than the screen: lines scrolled off could not be redrawn. Output tails give way first.
        var budget = Math.Max(2, height - 2) - 1;
        var shown = _running.Count <= budget ? _running.Count : Math.Max(0, budget - 1);
        var tailBudget = budget - shown - (shown < _running.Count ? 1 : 0);
        foreach (var step in _running.Take(shown))
        {
            lines.Add(new Line([new Segment(" => ", Arrow), new Segment(Clean(step.Name), Running)],
                Seconds(_clock.Elapsed - step.Since), Style.Plain, Truncate: true));
            foreach (var output in step.Tail.Skip(Math.Max(0, step.Tail.Count - tailBudget)))
            {
                lines.Add(new Line([new Segment(" => => # ", Faint), new Segment(output, Faint)], null, Style.Plain, Truncate: true));
                tailBudget--;
            }
        }
        if (shown < _running.Count)
            lines.Add(new Line([new Segment($" … and {_running.Count - shown} more running", Faint)], null, Style.Plain, Truncate: true));
        var verb = _cancellation.IsCancellationRequested ? "Cancelling" : "Building";
        lines.Add(new Line([new Segment("[+] ", Arrow), new Segment($"{verb} {Seconds(_clock.Elapsed)} ({_steps}/{_steps + _running.Count})", Running)],
            null, Style.Plain, Truncate: true));
        return lines;
    }

    /// <summary>Erases the last live part, prints the finished lines, then <paramref name="live"/>; one write. Holds the lock.</summary>
    private void Draw(List<Line> live)
    {
        if (!_started && _finished.Count == 0 && live.Count == 0) return; // nothing drawn yet, nothing to draw
        var width = Width;
        var segments = new List<Segment>();
        if (!_started)
        {
            _started = true;
            segments.Add(Segment.Control("\e[?25l")); // hide the cursor while drawing
        }
        // The cursor sits at the start of the line below the live part: go up over it and clear to the end of screen.
        segments.Add(Segment.Control(_liveHeight > 0 ? $"\r\e[{_liveHeight}A\e[J" : "\r\e[J"));
        foreach (var line in _finished) Render(line, width, segments);
        _finished.Clear();
        foreach (var line in live) Render(line, width, segments);
        _liveHeight = live.Count;
        try
        {
            _console.Write(new Frame(segments));
            _console.Profile.Out.Writer.Flush();
        }
        catch (IOException)
        {
            // The terminal went away; the build goes on.
        }
    }

    /// <summary>One line: its left part, the status right-aligned, then a line break. A live line is cut to fit (it must
    /// take exactly one row); a finished line is kept whole, the status then following the name after a space.</summary>
    private void Render(Line line, int width, List<Segment> into)
    {
        var room = width - 1; // never the last column: some terminals wrap there
        var status = line.Status is null ? 0 : line.Status.Length + 1;
        var left = line.Left.Sum(s => s.CellCount());
        if (line.Truncate && left + status > room)
        {
            var ellipsis = _console.Profile.Capabilities.Unicode ? "…" : "...";
            var keep = Math.Max(0, room - status - ellipsis.Length);
            foreach (var segment in line.Left)
            {
                if (keep <= 0) break;
                var cut = segment.CellCount() <= keep ? segment : Segment.Truncate(segment, keep);
                if (cut is null) break;
                into.Add(cut);
                keep -= cut.CellCount();
            }
            into.Add(new Segment(ellipsis, Faint));
            left = room - status;
        }
        else into.AddRange(line.Left);
        if (line.Status is not null)
        {
            into.Add(new Segment(new string(' ', Math.Max(1, room - left - line.Status.Length))));
            into.Add(new Segment(line.Status, line.StatusStyle));
        }
        into.Add(Segment.LineBreak);
    }

    private int Width => _console.Profile.Width is var w && w >= 20 ? w : 80;
    private int Height => _console.Profile.Height is var h && h >= 5 ? h : 24;

    /// <summary>Ends the display: steps still running are shown as cancelled, the live part gives way to the summary,
    /// the cursor comes back. Safe to call more than once and from any thread.</summary>
    private void Stop()
    {
        lock (_gate)
        {
            if (_stopped) return;
            _timer?.Dispose();
            var elapsed = Seconds(_clock.Elapsed);
            var interrupted = _running.Count > 0;
            foreach (var step in _running)
            {
                _steps++;
                _canceled++;
                _finished.Add(StepLine(step.Name, $"CANCELED {Seconds(_clock.Elapsed - step.Since)}", WarnStyle));
            }
            _running.Clear();
            var counts = $"{Plural(_steps, "step")}, {_cached} cached" + (_failed > 0 ? $", {_failed} failed" : "")
                + (_canceled > 0 ? $", {_canceled} canceled" : "");
            var summary = new List<Line>();
            if (_cancellation.IsCancellationRequested)
                summary.Add(new Line([new Segment($"Cancelled after {elapsed}: {counts}", WarnStyle)], null, Style.Plain, Truncate: false));
            else if (_failed > 0)
                summary.Add(new Line([new Segment($"Failed after {elapsed}: {counts}", ErrorStyle)], null, Style.Plain, Truncate: false));
            else if (interrupted || (!Succeeded && _steps > 0))
                summary.Add(new Line([new Segment($"Stopped after {elapsed}: {counts}", WarnStyle)], null, Style.Plain, Truncate: false));
            else if (_steps > 0)
                summary.Add(new Line([new Segment($"Built in {elapsed}: {counts}", DoneStyle)], null, Style.Plain, Truncate: false));
            // No step at all: the build ended before its graph ran (e.g. a Dockerfile error); the error says it all.
            Draw(summary);
            _liveHeight = 0;
            _stopped = true;
            if (!_started) return;
            try
            {
                _console.Write(new Frame([Segment.Control("\e[?25h")]));
                _console.Profile.Out.Writer.Flush();
            }
            catch (IOException)
            {
                // The terminal went away.
            }
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (!disposing) return;
        Stop();
        if (_exiting is not null) AppDomain.CurrentDomain.ProcessExit -= _exiting;
    }

    private static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + "s";

    private static string Plural(int n, string word) => n == 1 ? $"1 {word}" : $"{n} {word}s";

    /// <summary>A program's output line made safe to draw: escape sequences and control characters dropped, tabs
    /// expanded, and of a line that rewrites itself with carriage returns only what shows last.</summary>
    internal static string Clean(string text)
    {
        var cr = text.TrimEnd('\r').LastIndexOf('\r');
        if (cr >= 0) text = text[(cr + 1)..];
        var clean = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\e')
            {
                // CSI: ESC [ parameters final-byte; other escapes: ESC and one character.
                if (i + 1 < text.Length && text[i + 1] == '[')
                {
                    i += 2;
                    while (i < text.Length && text[i] is < '@' or > '~') i++;
                }
                else i++;
            }
            else if (c == '\t') clean.Append(' ', 8 - clean.Length % 8);
            else if (!char.IsControl(c)) clean.Append(c);
        }
        return clean.ToString();
    }

    private sealed class Step(string name, TimeSpan since)
    {
        public string Name { get; } = name;
        public TimeSpan Since { get; } = since;
        public Queue<string> Tail { get; } = new();
    }

    private sealed record Line(Segment[] Left, string? Status, Style StatusStyle, bool Truncate);

    /// <summary>Segments already laid out, written as they are.</summary>
    private sealed class Frame(List<Segment> segments) : Renderable
    {
        protected override IEnumerable<Segment> Render(RenderOptions options, int maxWidth) => segments;
    }
}

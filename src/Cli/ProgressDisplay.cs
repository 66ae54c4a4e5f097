using Sbuild.Engine;
using Sbuild.Solver;

namespace Sbuild.Cli;

/// <summary>
/// What <c>sbuild build --progress=MODE</c> shows on standard error while a build runs: step events from the solver,
/// the output lines of RUN steps, notes (pulls, pushes, exports) and warnings. The build command ends it with
/// <see cref="Complete"/> before it writes the image ID to standard output, or disposes it (on an error) before
/// <see cref="Program"/> prints the error, so neither is ever drawn over.
/// </summary>
public abstract class ProgressDisplay : IProgress<SolveEvent>, IBuildLog, IDisposable
{
    /// <summary>The values of <c>--progress</c>, a command-line contract: keep them as they are.</summary>
    public static readonly string[] Modes = ["auto", "tty", "plain", "quiet", "rawjson"];

    public abstract void Report(SolveEvent value);
    public abstract void Output(string vertexName, string line);
    public abstract void Note(string message);
    /// <summary>A lint or build-arg warning, shown after the build as <c>WARN: …</c> (in every mode, quiet too).</summary>
    public abstract void Warning(string message);

    /// <summary>The build and its exports succeeded: end the display with its summary. Standard output may be written
    /// after this without landing inside a live display.</summary>
    public void Complete()
    {
        Succeeded = true;
        Dispose();
    }

    /// <summary>Whether <see cref="Complete"/> ended the display (else it ends by an error or a cancellation).</summary>
    protected bool Succeeded { get; private set; }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
    }

    /// <summary>
    /// The display for <paramref name="mode"/> (one of <see cref="Modes"/>) on this process's standard error.
    /// <c>auto</c> is <c>tty</c> when standard error is a terminal (not redirected, and <c>TERM</c> is not <c>dumb</c>),
    /// else <c>plain</c>. <paramref name="cancellation"/> is the build's token: a display that ends after it fired says
    /// the build was cancelled rather than failed.
    /// </summary>
    public static ProgressDisplay Create(string mode, CancellationToken cancellation) => Resolve(mode) switch
    {
        "tty" => TtyProgress.OnStandardError(cancellation),
        "rawjson" => new RawJsonProgress(Console.OpenStandardError()),
        "quiet" => new PlainProgress(Console.Error, quiet: true),
        _ => new PlainProgress(Console.Error, quiet: false),
    };

    /// <summary><c>auto</c> made concrete for this process; other modes as given.</summary>
    public static string Resolve(string mode) => mode switch
    {
        "auto" => !Console.IsErrorRedirected && Environment.GetEnvironmentVariable("TERM") != "dumb" ? "tty" : "plain",
        _ => mode,
    };
}

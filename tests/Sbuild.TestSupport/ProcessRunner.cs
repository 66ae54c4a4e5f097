using System.Diagnostics;
using System.Text;

namespace Sbuild.TestSupport;

/// <summary>What a finished process printed and returned.</summary>
public sealed record ProcessResult(int ExitCode, string StandardOutput, string StandardError);

/// <summary>How to run a process; the defaults suit short tool invocations.</summary>
public sealed record ProcessRunOptions
{
    public static ProcessRunOptions Default { get; } = new();

    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(2);
    /// <summary>Variables to set (or, with a null value, remove) on top of this process's environment.</summary>
    public IReadOnlyDictionary<string, string?>? Environment { get; init; }
    public string? WorkingDirectory { get; init; }
    /// <summary>Written to the process's standard input, which is then closed (closed at once when null).</summary>
    public string? StandardInput { get; init; }
    /// <summary>When false (the default) a non-zero exit code throws <see cref="ProcessFailedException"/>.</summary>
    public bool AllowFailure { get; init; }
}

/// <summary>A process exited non-zero or ran out of time; the message carries the command line and its output.</summary>
public sealed class ProcessFailedException(string message, ProcessResult? result) : Exception(message)
{
    public ProcessResult? Result { get; } = result;
}

/// <summary>Runs a program with an argument list (no shell), captures its output, enforces a timeout.</summary>
public static class ProcessRunner
{
    /// <summary>Output beyond this many characters per stream is kept only as its tail in failure messages.</summary>
    private const int MessageTail = 8000;

    public static Task<ProcessResult> RunAsync(string fileName, IEnumerable<string> arguments, CancellationToken ct) =>
        RunAsync(fileName, arguments, ProcessRunOptions.Default, ct);

    public static async Task<ProcessResult> RunAsync(string fileName, IEnumerable<string> arguments, ProcessRunOptions options, CancellationToken ct)
    {
        var args = arguments.ToList();
        var commandLine = FormatCommandLine(fileName, args);
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = options.WorkingDirectory ?? "",
        };
        foreach (var a in args) info.ArgumentList.Add(a);
        if (options.Environment is { } env)
            foreach (var (key, value) in env)
                if (value is null) info.Environment.Remove(key);
                else info.Environment[key] = value;

        using var process = new Process { StartInfo = info };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new ProcessFailedException($"cannot start {commandLine}: {e.Message}", null);
        }
        if (options.StandardInput is { } input) await process.StandardInput.WriteAsync(input);
        process.StandardInput.Close(); // tools that probe stdin must see EOF, not hang

        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(options.Timeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // it exited on its own meanwhile
            }
            await process.WaitForExitAsync(CancellationToken.None);
            var partial = new ProcessResult(-1, await stdout, await stderr);
            ct.ThrowIfCancellationRequested();
            throw new ProcessFailedException($"{commandLine} timed out after {options.Timeout.TotalSeconds:0.#} s{Describe(partial)}", partial);
        }

        var result = new ProcessResult(process.ExitCode, await stdout, await stderr);
        if (result.ExitCode != 0 && !options.AllowFailure)
            throw new ProcessFailedException($"{commandLine} exited with code {result.ExitCode}{Describe(result)}", result);
        return result;
    }

    public static string FormatCommandLine(string fileName, IEnumerable<string> args) =>
        string.Join(' ', args.Prepend(fileName).Select(Quote));

    private static string Quote(string arg) =>
        arg.Length > 0 && arg.All(c => char.IsAsciiLetterOrDigit(c) || "-_./:=,@%+".Contains(c)) ? arg : "'" + arg.Replace("'", @"'\''") + "'";

    private static string Describe(ProcessResult r)
    {
        var text = new StringBuilder();
        if (r.StandardOutput.Length > 0) text.Append("\n--- stdout ---\n").Append(Tail(r.StandardOutput));
        if (r.StandardError.Length > 0) text.Append("\n--- stderr ---\n").Append(Tail(r.StandardError));
        return text.ToString();
    }

    private static string Tail(string s) => s.Length <= MessageTail ? s.TrimEnd() : "…" + s[^MessageTail..].TrimEnd();
}

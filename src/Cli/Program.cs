using System.CommandLine;
using System.Runtime.InteropServices;
using Sbuild.Core;

namespace Sbuild.Cli;

public static class Program
{
    private const int SigInt = 2, SigTerm = 15;
    private const int NoSpace = 28, QuotaExceeded = 122; // ENOSPC, EDQUOT: .NET gives an I/O error's errno as its HResult

    /// <summary>The termination signal that cancelled the command, for its exit code (128 + the signal's number, as a shell reports it).</summary>
    private static int s_signal;

    public static int Main(string[] args)
    {
        var parse = Commands.CreateRoot().Parse(args);
        // SIGINT and SIGTERM cancel a command that takes a cancellation token (build, pull, push), which then cleans up
        // and ends with 130 or 143; a second signal during that cleanup is swallowed, so it neither cuts the cleanup
        // short nor ends the process with a runtime stack trace. Other commands end at once, as without a handler (what
        // they leave is reclaimed by the next start). sbuild handles the signals itself rather than through
        // System.CommandLine, whose handler hides which signal came.
        using var cancellation = new CancellationTokenSource();
        var cancellable = parse.Action is System.CommandLine.Invocation.AsynchronousCommandLineAction;
        void OnSignal(PosixSignalContext context)
        {
            if (!cancellable) return;
            context.Cancel = true;
            if (Interlocked.CompareExchange(ref s_signal, context.Signal == PosixSignal.SIGTERM ? SigTerm : SigInt, 0) == 0)
                cancellation.Cancel();
        }
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        try
        {
            return parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null }, cancellation.Token)
                .GetAwaiter().GetResult();
        }
        catch (SbuildException e)
        {
            Console.Error.WriteLine($"error[{e.CodeText}]: {e.Message}");
            return 1;
        }
        catch (IOException e) when (e.HResult is NoSpace or QuotaExceeded)
        {
            // The disk or quota filled up (the message names the file): a condition of the host, not an internal error.
            Console.Error.WriteLine($"error[SB{(int)ErrorCode.NoSpace:D4}]: {e.Message}; free space (sbuild prune removes build cache) and try again");
            return 1;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine(s_signal == SigTerm ? "error: build cancelled (SIGTERM)" : "error: build cancelled");
            return s_signal == SigTerm ? 128 + SigTerm : 128 + SigInt;
        }
        catch (Exception e) when (Environment.GetEnvironmentVariable("SBUILD_DEBUG") != "1")
        {
            // Not a user error: say so plainly without a stack trace; SBUILD_DEBUG=1 shows it.
            Console.Error.WriteLine($"error: internal error: {e.GetType().Name}: {e.Message} (set SBUILD_DEBUG=1 for details)");
            return 70;
        }
        finally
        {
            // This process's scratch and mount directories go with its lease; after a kill the next start reclaims them.
            StoreLeases.ReleaseAll();
        }
    }
}

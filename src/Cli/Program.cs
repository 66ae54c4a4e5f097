using System.CommandLine;
using Sbuild.Core;

namespace Sbuild.Cli;

public static class Program
{
    private const int NoSpace = 28, QuotaExceeded = 122; // ENOSPC, EDQUOT: .NET gives an I/O error's errno as its HResult

    public static int Main(string[] args)
    {
        var root = Commands.CreateRoot();
        try
        {
            return root.Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
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
            Console.Error.WriteLine("error: build cancelled");
            return 130;
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

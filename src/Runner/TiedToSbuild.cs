using System.Collections.Concurrent;
using System.Diagnostics;
using Sbuild.Core;

namespace Sbuild.Runner;

/// <summary>
/// Starts the runtime so that it and its container die with sbuild, however sbuild dies (SIGKILL, OOM killer).
/// <para>
/// Killing <c>runc run</c> does not kill its container: the container's init is in a pid namespace of its own, and
/// nothing else signals it (runc's spec has no parent-death signal; BuildKit gives runc one and notes that the container
/// can still leak). The kernel does kill every process of a pid namespace, nested namespaces included, when the
/// namespace's init dies. So the runtime runs as init of a pid namespace made for it, and that init gets SIGKILL when
/// sbuild goes:
/// </para>
/// <code>setpriv --pdeathsig KILL -- unshare --pid --fork --kill-child=KILL --mount-proc -- RUNTIME ARGS…</code>
/// <para>
/// setpriv gives itself (then unshare, which it becomes) SIGKILL on the death of its parent, sbuild; unshare forks the
/// runtime as init of the new pid namespace with SIGKILL on unshare's death. <c>--mount-proc</c> gives the runtime a /proc
/// of its namespace, so the pids it reads there (its container's init) are its own. The runtime's state then records
/// pids of that namespace: a container is killed by killing the process this starts, never with the runtime's
/// <c>kill</c> from outside (which sees the recorded pid as not running and does nothing).
/// </para>
/// <para>
/// The parent-death signal fires when the <em>thread</em> that forked the child exits, not the process, and thread-pool
/// threads retire when idle: the processes are started from one thread that lives as long as sbuild.
/// </para>
/// </summary>
internal static class TiedToSbuild
{
    private static readonly BlockingCollection<(ProcessStartInfo Info, TaskCompletionSource<Process> Started)> Requests = CreateStarter();

    /// <summary>Starts <paramref name="info"/>'s program (with its arguments, redirections, environment) inside the wrapper.</summary>
    public static Task<Process> StartAsync(ProcessStartInfo info)
    {
        var setpriv = Require("setpriv");
        var unshare = Require("unshare");
        var wrapped = new ProcessStartInfo(setpriv)
        {
            UseShellExecute = false,
            RedirectStandardInput = info.RedirectStandardInput,
            RedirectStandardOutput = info.RedirectStandardOutput,
            RedirectStandardError = info.RedirectStandardError,
        };
        foreach (var argument in (string[])["--pdeathsig", "KILL", "--", unshare, "--pid", "--fork", "--kill-child=KILL", "--mount-proc", "--", info.FileName])
            wrapped.ArgumentList.Add(argument);
        foreach (var argument in info.ArgumentList)
            wrapped.ArgumentList.Add(argument);
        var started = new TaskCompletionSource<Process>(TaskCreationOptions.RunContinuationsAsynchronously);
        Requests.Add((wrapped, started));
        return started.Task;
    }

    private static string Require(string program) => ProgramPath.Find(program) ?? throw new SbuildException(ErrorCode.RuntimeFailed,
        $"running RUN steps needs '{program}' (util-linux) on the PATH, to tie containers to sbuild's life; install util-linux");

    private static BlockingCollection<(ProcessStartInfo, TaskCompletionSource<Process>)> CreateStarter()
    {
        var requests = new BlockingCollection<(ProcessStartInfo, TaskCompletionSource<Process>)>();
        var thread = new Thread(() =>
        {
            foreach (var (info, started) in requests.GetConsumingEnumerable())
            {
                try
                {
                    started.SetResult(Process.Start(info) ?? throw new InvalidOperationException($"could not start {info.FileName}"));
                }
                catch (Exception e)
                {
                    started.SetException(e);
                }
            }
        })
        {
            IsBackground = true,
            Name = "runtime starter",
        };
        thread.Start();
        return requests;
    }
}

using System.Diagnostics;
using Sbuild.Core;

namespace Sbuild.Runner;

/// <summary>
/// Kills the containers this sbuild started when sbuild ends, however it ends (SIGKILL, the OOM killer, a crash).
/// <para>
/// Killing <c>runc run</c> does not kill its container, and nothing else would: runc's spec has no parent-death signal
/// (BuildKit gives runc one and notes that the container can still leak). So one small shell per sbuild process, started
/// before its first container, reads sbuild's registrations (runtime, bundle directory, bundle name prefix) on its
/// standard input. The only writer of that pipe is sbuild, so the kernel closes it when sbuild's process ends: the shell
/// reads end-of-file and kills, with the runtime's own <c>kill</c>, every container still running from a bundle of
/// those registrations. <c>run</c> then sees its container exit and removes it; the bundles go at the next start
/// (<see cref="ContainerRunner.DeleteLeftoverContainer"/>). A container that was still being created is killed on one
/// of the next rounds (every 0.1 s for 10 s). After a normal exit the shell finds nothing and ends.
/// </para>
/// <para>
/// This costs one <c>sh</c> per sbuild process, and nothing per RUN: the runtime is sbuild's own child, in sbuild's pid
/// namespace (so a cancelled container is killed with the runtime's <c>kill</c>). The shell ignores the terminal's
/// signals (Ctrl-C reaches sbuild, which cancels its containers itself) and writes nowhere.
/// </para>
/// </summary>
internal static class ContainerWatcher
{
    private const string Script = """
        exec >/dev/null 2>&1
        trap '' INT QUIT HUP TSTP TERM
        while IFS= read -r runtime && IFS= read -r dir && IFS= read -r prefix; do
          set -- "$@" "$runtime" "$dir" "$prefix"
        done
        running() {
          found=1
          while [ $# -ge 3 ]; do
            for bundle in "$2/$3"*; do
              id=${bundle##*/}
              [ -d "$bundle/state/$id" ] || continue
              found=0
              "$1" --root "$bundle/state" kill "$id" KILL
            done
            shift 3
          done
          return $found
        }
        rounds=0
        while running "$@" && [ $rounds -lt 100 ]; do
          rounds=$((rounds + 1))
          sleep 0.1
        done
        """;

    private static readonly Lock Gate = new();
    private static readonly HashSet<string> Registered = new(StringComparer.Ordinal);

    // Held for the life of the process: disposing it (or letting it be collected) would close the pipe and set the
    // watcher off while containers run.
    private static Process? _watcher;

    /// <summary>
    /// Has the containers of bundles named <paramref name="bundlePrefix"/>… in <paramref name="bundleDirectory"/>, run with
    /// <paramref name="runtimePath"/>, killed when sbuild ends. Call it before starting such a container.
    /// </summary>
    public static void Watch(string runtimePath, string bundleDirectory, string bundlePrefix)
    {
        var registration = $"{runtimePath}\n{Path.GetFullPath(bundleDirectory)}\n{bundlePrefix}\n";
        // A name with a line break cannot be passed on; its containers are then left to the next start's recovery.
        if (registration.Count(c => c == '\n') != 3) return;
        lock (Gate)
        {
            if (!Registered.Add(registration)) return;
            try
            {
                _watcher ??= Start();
                _watcher.StandardInput.Write(registration);
            }
            catch (IOException)
            {
                // The watcher is gone (someone killed it): a new one gets every registration again.
                _watcher = Start();
                _watcher.StandardInput.Write(string.Concat(Registered));
            }
        }
    }

    private static Process Start()
    {
        var info = new ProcessStartInfo("/bin/sh")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            StandardInputEncoding = new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false),
        };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(Script);
        try
        {
            return Process.Start(info) ?? throw new System.ComponentModel.Win32Exception("not started");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new SbuildException(ErrorCode.RuntimeFailed, $"running RUN steps needs /bin/sh (to stop containers if sbuild dies): {e.Message}");
        }
    }
}

using Sbuild.Core;

namespace Sbuild.Runner;

/// <summary>Tries a runtime for real: runs <c>true</c> with the same kind of config a RUN step gets. Only running it
/// shows host trouble such as crun 1.8 refusing hybrid cgroup hierarchies. The probe's rootfs borrows the host's own
/// programs through read-only bind mounts, so no image or static binary is needed.</summary>
internal static class RuntimeProbe
{
    /// <summary>Top-level host directories that hold programs and their libraries.</summary>
    private static readonly string[] ProgramDirectories = ["bin", "sbin", "lib", "lib32", "lib64", "libx32", "usr"];

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>Null when the runtime works, else why not.</summary>
    public static async Task<string?> FailureAsync(OciRuntime runtime, string workDirectory, CancellationToken ct)
    {
        var rootfs = Path.Join(Path.GetFullPath(workDirectory), "sbuild-probe-" + RandomNames.Hex(6));
        Directory.CreateDirectory(rootfs);
        try
        {
            var spec = new RunSpec
            {
                RootfsPath = rootfs,
                Args = ["true"],
                Env = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                Mounts = BorrowHostPrograms(rootfs),
            };
            var output = new RunOutput(tailCapacity: 5);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(Timeout);
            var runner = new ContainerRunner(runtime, new ContainerRunnerOptions { WorkDirectory = workDirectory });
            var exitCode = await runner.RunAsync(spec, output, timeout.Token).ConfigureAwait(false);
            return exitCode == 0 ? null : $"the probe exited with code {exitCode}: {string.Join(" | ", output.Tail)}".TrimEnd(' ', ':');
        }
        catch (SbuildException e)
        {
            return e.Message;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return $"the probe did not finish within {Timeout.TotalSeconds:0} seconds";
        }
        finally
        {
            RemoveProbeRootfs(rootfs);
        }
    }

    /// <summary>Symlinked host dirs (usrmerge: /bin -> usr/bin) are copied as symlinks, real ones bind-mounted read-only.</summary>
    private static List<BindMount> BorrowHostPrograms(string rootfs)
    {
        var mounts = new List<BindMount>();
        foreach (var name in ProgramDirectories)
        {
            var host = new DirectoryInfo("/" + name);
            if (host.LinkTarget is { } target)
                File.CreateSymbolicLink(Path.Join(rootfs, name), target);
            else if (host.Exists)
                mounts.Add(new BindMount(host.FullName, "/" + name, ReadOnly: true));
        }
        return mounts;
    }

    /// <summary>Removes only what the probe left: symlinks and empty mount points. Never recursive, so even a
    /// mount that somehow outlived the container could not take host files with it.</summary>
    private static void RemoveProbeRootfs(string rootfs)
    {
        try
        {
            foreach (var entry in new DirectoryInfo(rootfs).EnumerateFileSystemInfos())
            {
                if (entry.LinkTarget is not null || entry is FileInfo)
                    entry.Delete();
                else
                    RemoveEmptyTree(entry.FullName);
            }
            Directory.Delete(rootfs);
        }
        catch (IOException)
        {
        }
    }

    private static void RemoveEmptyTree(string directory)
    {
        foreach (var child in Directory.EnumerateDirectories(directory))
        {
            if (new DirectoryInfo(child).LinkTarget is null)
                RemoveEmptyTree(child);
        }
        Directory.Delete(directory);
    }
}

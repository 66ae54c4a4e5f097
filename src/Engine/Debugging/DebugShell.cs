using Sbuild.Core;
using Sbuild.Core.Metadata;
using Sbuild.Engine.Executors;
using Sbuild.Frontend;
using Sbuild.Runner;
using Sbuild.Runner.Seccomp;

namespace Sbuild.Engine.Debugging;

/// <summary>
/// <c>sbuild debug shell</c>: a command in the filesystem of a kept failure, with the failed RUN's env, user, workdir,
/// network and mounts (cache mounts are the same directories the build used; secrets and ssh agents only those given
/// again). It runs on a throw-away child of the kept snapshot, so the failure stays as it was for the next look.
/// </summary>
public static class DebugShell
{
    public static async Task<int> RunAsync(ImageStore store, KeptFailure failure, IReadOnlyList<string> command,
        IReadOnlyDictionary<string, BuildSecret> secrets, IReadOnlyDictionary<string, SshAgentSocket> sshAgents,
        Func<CancellationToken, Task<IContainerRunner>> getRunner, IBuildLog log, CancellationToken ct)
    {
        var op = failure.ExecOp;
        using var workspace = new SnapshotWorkspace(store, failure.SnapshotterKind, sourceDateEpoch: null);
        if (failure.Snapshots.FirstOrDefault(s => !workspace.Snapshotter.Exists(s)) is { } missing)
            throw new SbuildException(ErrorCode.BuildRecordNotFound,
                $"the kept failure of build {failure.Build} step {failure.Step} lost snapshot {missing} (sbuild doctor --fix cleans up); run the build again to reproduce it");
        using var database = StoreDatabase.Open(store.Root);
        var scratch = Directory.CreateDirectory(Path.Combine(StoreLeases.Directory(store.Root, "tmp"), "debug-" + Guid.NewGuid().ToString("N"))).FullName;
        try
        {
            var executor = new ExecExecutor(op, new StepDescription(failure.Name), getRunner, workspace, scratch, log,
                LocalContext.Load(failure.ContextDir, failure.DockerfilePath, database),
                new StateContentDigests(workspace, Path.Combine(store.Root, "cache", "selections")),
                new CacheMountDirectories(Path.Combine(store.Root, "cache-mounts")), secrets, sshAgents,
                SeccompProfile.Default, RunLimits.Default, journal: null);
            return await executor.DebugAsync(failure.Inputs, new FsState(failure.Snapshot, []), command, ct).ConfigureAwait(false);
        }
        finally
        {
            TreeRemover.Delete(scratch);
        }
    }
}

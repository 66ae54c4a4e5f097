using Sbuild.Registry;
using Sbuild.Runner;
using Sbuild.Snapshotter;

namespace Sbuild.Engine;

/// <summary>
/// Host services a build needs, supplied by the caller. The container runner is asked for only when a RUN
/// actually executes, so a fully cached build never probes runtimes; <paramref name="Images"/> finds (or pulls)
/// the images a Dockerfile names; <paramref name="Snapshotter"/> is the kind of snapshots this host can mount
/// (<see cref="SnapshotterSelector"/>); <paramref name="Registries"/> is where registry caches (<c>--cache-to/--cache-from</c>) go.
/// </summary>
public sealed record BuildEnvironment(Func<CancellationToken, Task<IContainerRunner>> GetRunner, IImageSource Images, SnapshotterKind Snapshotter,
    RegistrySession? Registries = null);

using Sbuild.Registry;
using Sbuild.Runner;

namespace Sbuild.Engine;

/// <summary>
/// Host services a build needs, supplied by the caller. The container runner is asked for only when a RUN
/// actually executes, so a fully cached build never probes runtimes; <paramref name="Images"/> finds (or pulls)
/// the images a Dockerfile names; <paramref name="Registries"/> is where registry caches (<c>--cache-to/--cache-from</c>) go.
/// </summary>
public sealed record BuildEnvironment(Func<CancellationToken, Task<IContainerRunner>> GetRunner, IImageSource Images, RegistrySession? Registries = null);

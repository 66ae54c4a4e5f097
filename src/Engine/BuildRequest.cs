using Sbuild.Core;
using Sbuild.Runner.Seccomp;

namespace Sbuild.Engine;

/// <summary>Everything one <c>sbuild build</c> needs, already parsed and validated at the CLI edge.</summary>
public sealed record BuildRequest
{
    public required string ContextDir { get; init; }
    /// <summary>Path of the Dockerfile; defaults to <c>Dockerfile</c> in the context.</summary>
    public required string DockerfilePath { get; init; }
    public string? Target { get; init; }
    public IReadOnlyDictionary<string, string> BuildArgs { get; init; } = new Dictionary<string, string>();
    public IReadOnlyList<ImageReference> Tags { get; init; } = [];
    /// <summary>When set (SOURCE_DATE_EPOCH), image and history timestamps use it and layer mtimes are clamped to it.</summary>
    public DateTimeOffset? SourceDateEpoch { get; init; }
    /// <summary><c>--squash</c>: the layers after the base image's become one (<see cref="SquashedImage"/>).</summary>
    public bool Squash { get; init; }
    /// <summary><c>--no-cache</c>: run every step, even those the cache could answer.</summary>
    public bool NoCache { get; init; }
    /// <summary><c>--no-cache-filter</c>: stage names (lower case) whose steps, and whatever uses them, run even if cached.</summary>
    public IReadOnlySet<string> NoCacheStages { get; init; } = new HashSet<string>();
    /// <summary><c>--network</c>: what RUN steps get by default (the host's network, or none: loopback only).</summary>
    public Frontend.NetworkMode Network { get; init; } = Frontend.NetworkMode.Host;
    /// <summary><c>--allow security.insecure</c>: <c>RUN --security=insecure</c> may run privileged.</summary>
    public bool AllowInsecure { get; init; }
    /// <summary><c>--security-opt seccomp=…</c>: the syscall filter of every RUN that is not privileged (null: none).
    /// Like buildkitd's own seccomp setting it is not part of cache keys.</summary>
    public SeccompProfile? Seccomp { get; init; } = SeccompProfile.Default;
    /// <summary>The cgroup limits of every RUN: tasks (config <c>default-pids-limit</c>) and <c>--memory</c>. Not part of
    /// cache keys (as docker build's are not): a step cached without a limit stays cached.</summary>
    public Runner.RunLimits Limits { get; init; } = Runner.RunLimits.Default;
    /// <summary><c>--secret</c>s by id: what <c>RUN --mount=type=secret</c> reads.</summary>
    public IReadOnlyDictionary<string, BuildSecret> Secrets { get; init; } = new Dictionary<string, BuildSecret>();
    /// <summary><c>--ssh</c> agent sockets by id: what <c>RUN --mount=type=ssh</c> forwards.</summary>
    public IReadOnlyDictionary<string, SshAgentSocket> SshAgents { get; init; } = new Dictionary<string, SshAgentSocket>();
    /// <summary><c>--cache-from</c>: exported caches whose records answer steps the store's cache does not.</summary>
    public IReadOnlyList<Cache.CacheLocation> CacheFrom { get; init; } = [];
    /// <summary><c>--cache-to</c>: where to export this build's cache records after it succeeded.</summary>
    public IReadOnlyList<Cache.CacheLocation> CacheTo { get; init; } = [];
    /// <summary><c>--platform</c>: the platforms to build for, in order; empty: the host's, with the config's platform
    /// the base image's. Several give an image index.</summary>
    public IReadOnlyList<Platform> Platforms { get; init; } = [];
}

/// <summary>What a build produced: the image in the local store (for several platforms an image index, whose digest is
/// the ID, with no config of its own), lint warnings to show after it, how many of its layers the base image brought,
/// and the id of the build's record (<c>sbuild cache why ID</c>).</summary>
public sealed record BuildResult(Digest ImageId, Descriptor Manifest, ImageConfig? Config, IReadOnlyList<string> Warnings, int BaseLayerCount, string? BuildId)
{
    /// <summary>For an index: the image of each platform, in the index's order (empty for a single image).</summary>
    public IReadOnlyList<BuildResult> Images { get; init; } = [];
}

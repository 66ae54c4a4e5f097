using Sbuild.Core;
using Sbuild.Parser;
using Sbuild.Solver;

namespace Sbuild.Build;

/// <summary>A file whose content the Dockerfile itself holds (a here-document).</summary>
public sealed record InlineFile(string Name, string Content);

/// <summary>
/// A RUN step: argv, environment, working directory and the USER value still to be resolved in the rootfs.
/// <see cref="Scripts"/> are mounted read-only and executable at <c>/dev/pipes/NAME</c> (BuildKit's place for RUN heredocs).
/// </summary>
public sealed record ExecStep(IReadOnlyList<string> Args, IReadOnlyList<string> Env, string Cwd, string User, SourceLocation Location)
{
    public const string ScriptDirectory = "/dev/pipes";
    public IReadOnlyList<InlineFile> Scripts { get; init; } = [];
    /// <summary>Proxy variables (HTTP_PROXY, …): in the process environment but, as in BuildKit, not in the cache key.</summary>
    public IReadOnlyList<string> ProxyEnv { get; init; } = [];
    public Sbuild.Runner.NetworkMode Network { get; init; } = Sbuild.Runner.NetworkMode.None;
}

/// <summary>A COPY step: expanded sources, absolute destination (trailing '/' = directory), ownership and mode.</summary>
public sealed record CopyStep(IReadOnlyList<string> Sources, string Destination, CopyOwnership Ownership, SourceLocation Location, string Original)
{
    /// <summary>The <c>--chown</c> value (user[:group]), resolved against the destination's /etc/passwd when the step runs.</summary>
    public string? Chown { get; init; }

    /// <summary>Runs a file operation of this step so that its errors point at the instruction's line.</summary>
    public T At<T>(Func<T> action)
    {
        try
        {
            return action();
        }
        catch (SbuildException e) when (e is not DockerfileException)
        {
            throw new DockerfileException(e.Code, Location, e.Message, Original);
        }
    }

    /// <inheritdoc cref="At{T}"/>
    public async Task<T> AtAsync<T>(Func<Task<T>> action)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (SbuildException e) when (e is not DockerfileException)
        {
            throw new DockerfileException(e.Code, Location, e.Message, Original);
        }
    }

    /// <summary><see cref="Ownership"/> with <c>--chown</c> resolved in <paramref name="rootfs"/>.</summary>
    public CopyOwnership OwnershipIn(string rootfs)
    {
        if (Chown is null) return Ownership;
        var (uid, gid) = UserResolver.ResolveChown(rootfs, Chown);
        return Ownership with { Uid = uid, Gid = gid };
    }
}

/// <summary>An ADD step: a COPY step plus whether local archives are unpacked and the expected digest of URL sources.</summary>
public sealed record AddStep(CopyStep Copy, bool? Unpack, Digest? Checksum);

/// <summary>Creates the vertices a Dockerfile turns into; the converter plans with it, the solver runs what it returns.</summary>
public interface IBuildOps
{
    Vertex<FsState> Scratch();

    /// <summary>An image from the local store as a base; fails with a clear error naming the image if it is not there.</summary>
    (Vertex<FsState> Fs, ImageConfig Config) BaseImage(string reference, string label, SourceLocation at);

    Vertex<FsState> Exec(Vertex<FsState> parent, ExecStep step, string label);

    Vertex<FsState> CopyFromContext(Vertex<FsState> parent, CopyStep step, string label);

    /// <summary>COPY of here-documents: files with the given contents (mode 0644 unless --chmod).</summary>
    Vertex<FsState> CopyInline(Vertex<FsState> parent, IReadOnlyList<InlineFile> files, CopyStep step, string label);

    Vertex<FsState> Add(Vertex<FsState> parent, AddStep step, string label);

    Vertex<FsState> CopyFromState(Vertex<FsState> parent, Vertex<FsState> source, CopyStep step, string label);

    Vertex<FsState> Mkdir(Vertex<FsState> parent, string path, string user, string label);
}

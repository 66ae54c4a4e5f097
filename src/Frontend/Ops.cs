using System.Text.Json.Serialization;
using Sbuild.Core;

namespace Sbuild.Frontend;

/// <summary>
/// One operation of the build graph as plain data (BuildKit's LLB idea): what to do, never how. Executors in the
/// engine give each kind its meaning; the cache key is computed over this record (see the engine's cache-key builder),
/// so a field belongs here exactly when it changes the result. Where a step came from and what progress calls it live
/// in the node's <see cref="StepDescription"/> instead.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "op")]
[JsonDerivedType(typeof(ScratchOp), "scratch")]
[JsonDerivedType(typeof(ImageOp), "image")]
[JsonDerivedType(typeof(ExecOp), "exec")]
[JsonDerivedType(typeof(CopyOp), "copy")]
[JsonDerivedType(typeof(AddOp), "add")]
[JsonDerivedType(typeof(MkdirOp), "mkdir")]
[JsonDerivedType(typeof(GitOp), "git")]
public abstract record Op;

/// <summary>The empty filesystem (<c>FROM scratch</c>).</summary>
public sealed record ScratchOp : Op;

/// <summary>An image's root filesystem, pinned to the manifest the frontend resolved while planning.</summary>
public sealed record ImageOp(string Reference, Digest Manifest) : Op;

/// <summary>The network a RUN sees: none (loopback only) or the host's.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<NetworkMode>))]
public enum NetworkMode { None, Host }

/// <summary>A file whose content the Dockerfile itself holds (a here-document).</summary>
public sealed record InlineFile(string Name, string Content);

/// <summary>
/// A RUN over input 0: argv, environment, working directory and the USER value still to be resolved in the rootfs.
/// <see cref="Scripts"/> are mounted read-only and executable at <c>/dev/pipes/NAME</c> (BuildKit's place for RUN heredocs).
/// </summary>
public sealed record ExecOp(IReadOnlyList<string> Args, IReadOnlyList<string> Env, string Cwd, string User, NetworkMode Network) : Op
{
    public const string ScriptDirectory = "/dev/pipes";
    public IReadOnlyList<InlineFile> Scripts { get; init; } = [];
    /// <summary><c>RUN --security=insecure</c>: a privileged container (the build must allow it).</summary>
    public bool Privileged { get; init; }
    /// <summary><c>RUN --mount</c>s, in order; a bind from a stage reads the input its <see cref="RunMount.Input"/> names.</summary>
    public IReadOnlyList<RunMount> Mounts { get; init; } = [];
    /// <summary>Proxy variables (HTTP_PROXY, …): in the process environment but, as in BuildKit, not in the cache key.</summary>
    public IReadOnlyList<string> ProxyEnv { get; init; } = [];
    /// <summary>
    /// The platform the command runs as when it is not the host's (null: the host's, which keeps the cache keys of
    /// host builds as they were): a foreign binary runs through the kernel's binfmt_misc emulator, and the same RUN for
    /// two platforms gives two results, so the platform is part of the key.
    /// </summary>
    public string? Platform { get; init; }
}

/// <summary>Where COPY reads: the build context, or the filesystem of input 1 (a stage or an image).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<CopySource>))]
public enum CopySource { Context, Input }

/// <summary>
/// COPY into input 0. Sources are expanded paths or wildcards, relative to the source root; the destination is absolute
/// (a trailing '/' marks a directory). <see cref="Chown"/> (user[:group]) is resolved in the destination's /etc/passwd
/// when the step runs; without it, context files become 0:0 and files of another stage keep their owners.
/// <see cref="Chmod"/> is the <c>--chmod</c> value, octal or symbolic (checked by <see cref="ChmodSpec.Parse"/>).
/// </summary>
public sealed record CopyOp(CopySource From, IReadOnlyList<string> Sources, string Destination, string? Chown, string? Chmod) : Op
{
    /// <summary><c>--parents</c>: each source is a pattern (below an optional <c>pivot/./</c>) whose matches keep their parent directories.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool Parents { get; init; }
    /// <summary><c>--exclude</c> patterns, matched below each source (null: none).</summary>
    public IReadOnlyList<string>? Excludes { get; init; }
    /// <summary>Here-documents (<c>COPY &lt;&lt;EOF</c>): files of mode 0644 (before <c>--chmod</c>) copied after the sources (null: none).</summary>
    public IReadOnlyList<InlineFile>? Files { get; init; }
}

/// <summary>
/// ADD into input 0: URLs are downloaded (and checked against <see cref="Checksum"/>), local archives unpacked unless
/// <see cref="Unpack"/> is false, other context files copied like COPY.
/// </summary>
public sealed record AddOp(IReadOnlyList<string> Sources, string Destination, string? Chown, string? Chmod, bool? Unpack, Digest? Checksum) : Op
{
    /// <summary><c>--exclude</c> patterns, matched below each local source (null: none).</summary>
    public IReadOnlyList<string>? Excludes { get; init; }
    /// <summary>Here-documents (<c>ADD &lt;&lt;EOF</c>): files of mode 0644 (before <c>--chmod</c>) copied after the sources (null: none).</summary>
    public IReadOnlyList<InlineFile>? Files { get; init; }
}

/// <summary>
/// A git repository as BuildKit's git source (llb.Git) checks it out: a source with no inputs, which ADD copies from.
/// <see cref="Ref"/> null is the remote's default branch; <see cref="Subdir"/> (relative, cleaned) makes its contents
/// the root; <see cref="KeepGitDir"/> keeps the repository as <c>.git</c> (not with a subdirectory, as in BuildKit);
/// <see cref="Checksum"/> is a commit hash or a prefix of one the ref must resolve to. The key also holds the commit
/// the ref points at when the step runs, so a moved branch is fetched again.
/// </summary>
public sealed record GitOp(string Remote, string? Ref, string? Subdir, bool KeepGitDir, string? Checksum, bool SkipSubmodules, bool FetchByCommit) : Op;

/// <summary>WORKDIR: creates <see cref="Path"/> (and missing parents) in input 0, owned by <see cref="User"/>.</summary>
public sealed record MkdirOp(string Path, string User) : Op;

/// <summary>
/// The only true URL test for sources (BuildKit's isHTTPSource: the scheme prefix), shared by the frontend's checks and
/// the engine's downloads.
/// </summary>
public static class SourceUrl
{
    public static bool IsUrl(string source) =>
        source.StartsWith("http://", StringComparison.Ordinal) || source.StartsWith("https://", StringComparison.Ordinal);
}

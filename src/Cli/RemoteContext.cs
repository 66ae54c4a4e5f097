using Sbuild.Core;
using Sbuild.Engine;

namespace Sbuild.Cli;

/// <summary>
/// A build context that is not on this machine, made local for the build: a git repository (checked out by
/// <see cref="GitContextFetcher"/>) or an http(s) URL whose body is a tar archive (plain or compressed: the context) or
/// anything else (the Dockerfile, with an empty context), as docker build does. Everything lives in a scratch
/// directory under the store's <c>tmp/</c> that goes away on dispose, also when resolving fails.
/// </summary>
public sealed class RemoteContext : IDisposable
{
    private static readonly TimeSpan DownloadStallTimeout = TimeSpan.FromSeconds(60);
    private readonly string _scratch;

    private RemoteContext(ImageStore store) =>
        _scratch = Directory.CreateDirectory(Path.Combine(StoreLeases.Directory(store.Root, "tmp"), "remote-" + Guid.NewGuid().ToString("N"))).FullName;

    /// <summary>The context directory.</summary>
    public string ContextDir { get; private set; } = "";

    /// <summary>The Dockerfile: <c>-f PATH</c> taken inside the context (default <c>Dockerfile</c>), or the downloaded body.</summary>
    public string DockerfilePath { get; private set; } = "";

    /// <summary>
    /// Fetches <paramref name="argument"/> when it names a git or http(s) context; null for <c>-</c> and local paths.
    /// <paramref name="dockerfile"/> is the <c>-f</c> value (null or <c>-</c>: the context's <c>Dockerfile</c>).
    /// </summary>
    public static async Task<RemoteContext?> ResolveAsync(string argument, string? dockerfile, Lazy<ImageStore> store, CancellationToken ct)
    {
        var kind = BuildContextAddress.Classify(argument, Directory.Exists);
        if (kind is not (BuildContextKind.Git or BuildContextKind.Url)) return null;
        var relativeDockerfile = dockerfile is null or "-" ? "Dockerfile" : dockerfile;
        var remote = new RemoteContext(store.Value);
        try
        {
            if (kind == BuildContextKind.Git)
            {
                var url = GitContextUrl.Parse(argument);
                remote.ContextDir = await GitContextFetcher.FetchAsync(url, Path.Combine(remote._scratch, "checkout"), ct).ConfigureAwait(false);
                remote.DockerfilePath = remote.DockerfileInContext(relativeDockerfile, $"git context {url.Shown}");
            }
            else await remote.DownloadAsync(argument, relativeDockerfile, ct).ConfigureAwait(false);
            return remote;
        }
        catch
        {
            remote.Dispose();
            throw;
        }
    }

    private async Task DownloadAsync(string url, string relativeDockerfile, CancellationToken ct)
    {
        var shown = BuildContextAddress.Redact(url);
        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan }; // the stall timeout bounds each read instead
        DownloadedFile body;
        try
        {
            body = await new UrlSource(http, DownloadStallTimeout).DownloadAsync(url, _scratch, expected: null, ct).ConfigureAwait(false);
        }
        catch (SbuildException e) when (e.Code == ErrorCode.CopySourceNotFound)
        {
            throw new SbuildException(ErrorCode.ContextNotFound, $"build context: {e.Message}", e);
        }
        using (body)
        {
            ContextDir = Directory.CreateDirectory(Path.Combine(_scratch, "context")).FullName;
            if (ArchiveDetector.IsArchive(body.TempPath))
            {
                await ArchiveExtractor.ExtractAsync(body.TempPath, ContextDir, "/", new CopyOwnership(null, null, null, PreserveOwnership: true), ct).ConfigureAwait(false);
                DockerfilePath = DockerfileInContext(relativeDockerfile, $"build context {shown}");
                return;
            }
            // Not an archive: the body is the Dockerfile and the context is empty (-f is ignored, as by docker).
            // Named Dockerfile so errors point at "…/Dockerfile:LINE".
            DockerfilePath = Path.Combine(_scratch, "Dockerfile");
            File.Move(body.TempPath, DockerfilePath);
        }
    }

    /// <summary><c>-f</c> inside the context: relative to its root, symlinks followed without leaving it.</summary>
    private string DockerfileInContext(string relative, string what)
    {
        var path = RootPath.Resolve(ContextDir, relative, followFinal: true);
        if (!File.Exists(path))
            throw new SbuildException(ErrorCode.DockerfileNotFound, $"{what}: no Dockerfile \"{relative}\" in the context");
        return path;
    }

    public void Dispose()
    {
        TreeRemover.Delete(_scratch);
    }
}

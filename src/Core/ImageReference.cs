using System.Text.RegularExpressions;

namespace Sbuild.Core;

/// <summary>
/// A parsed image name such as <c>busybox</c>, <c>app:1</c> or <c>127.0.0.1:5000/team/app:v2</c>.
/// <see cref="Repository"/> is kept as the user wrote it (Docker's short form), the tag defaults to <c>latest</c>.
/// </summary>
public sealed partial record ImageReference(string Repository, string? Tag, Digest? Digest)
{
    public static ImageReference Parse(string text) =>
        TryParse(text, out var r) ? r : throw new SbuildException(ErrorCode.InvalidReference,
            $"invalid image reference \"{text}\": expected NAME[:TAG][@sha256:DIGEST] with a lower-case name");

    public static bool TryParse(string text, out ImageReference reference)
    {
        reference = null!;
        var m = ReferencePattern().Match(text);
        if (!m.Success) return false;
        Digest? digest = null;
        if (m.Groups["digest"].Success)
        {
            if (!Core.Digest.TryParse(m.Groups["digest"].Value, out var d)) return false;
            digest = d;
        }
        var repository = FamiliarName(m.Groups["name"].Value);
        var tag = m.Groups["tag"].Success ? m.Groups["tag"].Value : (digest is null ? "latest" : null);
        reference = new ImageReference(repository, tag, digest);
        return true;
    }

    /// <summary>The registry Docker's normalisation sends this name to: the first component when it looks like a host
    /// (has a '.' or ':' or is <c>localhost</c>), else Docker Hub, <see cref="DockerHub"/>.</summary>
    public string Registry => SplitRemote().Registry;

    /// <summary>The repository path on <see cref="Registry"/>: Docker Hub's official images live under <c>library/</c>.</summary>
    public string RemotePath => SplitRemote().Path;

    /// <summary>Docker Hub's canonical name, as credentials and <c>docker.io/library/busybox</c> spell it.</summary>
    public const string DockerHub = "docker.io";

    /// <summary>The tag or digest a registry's manifest endpoint takes (a digest wins over a tag, as in Docker).</summary>
    public string RemoteReference => Digest?.ToString() ?? Tag ?? "latest";

    /// <summary>The fully qualified form, e.g. <c>docker.io/library/busybox:latest</c>.</summary>
    public string FullName => $"{Registry}/{RemotePath}" + (Tag is null ? "" : ":" + Tag) + (Digest is { } d ? "@" + d : "");

    private (string Registry, string Path) SplitRemote()
    {
        var slash = Repository.IndexOf('/');
        if (slash > 0)
        {
            var first = Repository[..slash];
            if (first.Contains('.') || first.Contains(':') || first == "localhost") return (first, Repository[(slash + 1)..]);
            return (DockerHub, Repository);
        }
        return (DockerHub, "library/" + Repository);
    }

    /// <summary>
    /// Docker's familiar form of a Docker Hub name: <c>docker.io/</c> (or the legacy <c>index.docker.io/</c>) dropped,
    /// and <c>library/</c> dropped only before a single component (<c>library/team/app</c> is another repository).
    /// </summary>
    private static string FamiliarName(string name)
    {
        foreach (var hub in (ReadOnlySpan<string>)["docker.io/", "index.docker.io/"])
        {
            if (!name.StartsWith(hub, StringComparison.Ordinal)) continue;
            var path = name[hub.Length..];
            return path.StartsWith("library/", StringComparison.Ordinal) && path.IndexOf('/', "library/".Length) < 0 ? path["library/".Length..] : path;
        }
        return name;
    }

    /// <summary>The key under which the local store indexes the image: <c>repo:tag</c> (or <c>repo@digest</c>).</summary>
    public override string ToString() =>
        Repository + (Tag is null ? "" : ":" + Tag) + (Digest is { } d ? "@" + d : "");

    // name components: lower-case alnum with . _ - separators; optional host[:port] first component.
    [GeneratedRegex(@"^(?<name>(?:[a-zA-Z0-9.-]+(?::[0-9]+)?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)(?::(?<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(?:@(?<digest>[a-z0-9]+:[a-f0-9]+))?$")]
    private static partial Regex ReferencePattern();
}

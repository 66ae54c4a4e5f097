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
        var repository = m.Groups["name"].Value;
        if (repository.StartsWith("docker.io/library/", StringComparison.Ordinal)) repository = repository["docker.io/library/".Length..];
        else if (repository.StartsWith("docker.io/", StringComparison.Ordinal)) repository = repository["docker.io/".Length..];
        var tag = m.Groups["tag"].Success ? m.Groups["tag"].Value : (digest is null ? "latest" : null);
        reference = new ImageReference(repository, tag, digest);
        return true;
    }

    /// <summary>The key under which the local store indexes the image: <c>repo:tag</c> (or <c>repo@digest</c>).</summary>
    public override string ToString() =>
        Repository + (Tag is null ? "" : ":" + Tag) + (Digest is { } d ? "@" + d : "");

    // name components: lower-case alnum with . _ - separators; optional host[:port] first component.
    [GeneratedRegex(@"^(?<name>(?:[a-zA-Z0-9.-]+(?::[0-9]+)?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)(?::(?<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(?:@(?<digest>[a-z0-9]+:[a-f0-9]+))?$")]
    private static partial Regex ReferencePattern();
}

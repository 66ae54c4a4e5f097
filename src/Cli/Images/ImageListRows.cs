using Sbuild.Cli.Templates;

namespace Sbuild.Cli.Images;

/// <summary>
/// The rows of <c>sbuild images</c>: docker CLI's imageContext, a row per repository:tag of each image (a row per
/// digest too with <c>--digests</c>), one <c>&lt;none&gt; &lt;none&gt;</c> row for a dangling image.
/// </summary>
public static class ImageListRows
{
    public const string DefaultTable = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}";
    public const string DigestTable = "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}";
    public const string QuietFormat = "{{.ID}}";

    public static GoValue Headers { get; } = FormattedOutput.Headers(
        ("Repository", "REPOSITORY"), ("Tag", "TAG"), ("ID", "IMAGE ID"), ("Digest", "DIGEST"), ("CreatedSince", "CREATED"),
        ("CreatedAt", "CREATED AT"), ("Size", "SIZE"), ("Containers", "CONTAINERS"), ("VirtualSize", "SIZE"),
        ("SharedSize", "SHARED SIZE"), ("UniqueSize", "UNIQUE SIZE"));

    /// <summary>NewImageFormat: the table (or -q's IDs) unless --format gives one; --digests adds the column to a custom table.</summary>
    public static string Format(string? format, bool quiet, bool digests)
    {
        if (string.IsNullOrEmpty(format) || format == FormattedOutput.TableKey)
            return quiet ? QuietFormat : digests ? DigestTable : DefaultTable;
        if (FormattedOutput.IsTable(format) && digests && !format.Contains("{{.Digest}}", StringComparison.Ordinal))
            return format.Replace("{{.ID}}", "{{.Digest}}\t{{.ID}}", StringComparison.Ordinal);
        return format;
    }

    public static IEnumerable<GoValue> Rows(IEnumerable<LocalImage> images, bool digests, bool truncate, DateTimeOffset now)
    {
        foreach (var image in images)
        {
            if (image.IsDangling)
            {
                yield return Row(image, "<none>", "<none>", "<none>", truncate, now);
                continue;
            }
            var tagsByRepo = Group(image.RepoTags, ':');
            var digestsByRepo = Group(image.RepoDigests, '@');
            foreach (var (repo, tags) in tagsByRepo)
            {
                var repoDigests = digestsByRepo.GetValueOrDefault(repo) ?? [];
                digestsByRepo.Remove(repo);
                foreach (var tag in tags)
                {
                    if (!digests || repoDigests.Count == 0) yield return Row(image, repo, tag, "<none>", truncate, now);
                    else foreach (var digest in repoDigests) yield return Row(image, repo, tag, digest, truncate, now);
                }
            }
            // Repositories with a digest and no tag: a row per digest with --digests, else one row.
            foreach (var (repo, repoDigests) in digestsByRepo)
            {
                if (digests) foreach (var digest in repoDigests) yield return Row(image, repo, "<none>", digest, truncate, now);
                else yield return Row(image, repo, "<none>", "", truncate, now);
            }
        }
    }

    /// <summary>repo → the parts after the separator, repositories in the order their first name comes.</summary>
    private static Dictionary<string, List<string>> Group(IEnumerable<string> names, char separator)
    {
        var groups = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            var at = separator == ':' ? name.LastIndexOf(':') : name.IndexOf('@');
            var (repo, part) = (name[..at], name[(at + 1)..]);
            if (!groups.TryGetValue(repo, out var list)) groups[repo] = list = [];
            list.Add(part);
        }
        return groups;
    }

    /// <summary>
    /// A row of <c>system df -v</c>'s image table: the first name only (<c>&lt;none&gt;</c> for a dangling image or one
    /// with digests alone), no digest, and the sizes only disk usage computes: the bytes of layers other images share too,
    /// and 0 containers (sbuild runs none).
    /// </summary>
    public static GoValue DiskUsageRow(LocalImage image, long sharedSize, bool truncate, DateTimeOffset now)
    {
        var (repository, tag) = ("<none>", "<none>");
        if (image.RepoTags.Count > 0)
        {
            var at = image.RepoTags[0].LastIndexOf(':');
            (repository, tag) = (image.RepoTags[0][..at], image.RepoTags[0][(at + 1)..]);
        }
        return Row(image, repository, tag, "", truncate, now,
            (GoValue.Of("0"), GoValue.Of(DockerUnits.HumanSize(sharedSize)), GoValue.Of(DockerUnits.HumanSize(image.Size - sharedSize))));
    }

    private static GoValue Row(LocalImage image, string repository, string tag, string digest, bool truncate, DateTimeOffset now,
        (GoValue Containers, GoValue Shared, GoValue Unique)? usage = null)
    {
        var created = image.Created.Unix;
        var notAvailable = GoValue.Of("N/A");
        return new GoStruct(
        [
            new("Containers", usage?.Containers ?? notAvailable),
            new("CreatedAt", GoValue.Of(GoTime.Local(created, rfc3339: false))),
            // time.Unix(created, 0).IsZero(): only a config without a creation time has no CreatedSince.
            new("CreatedSince", GoValue.Of(image.Created.IsZero ? "" : DockerUnits.HumanDuration(GoTime.Since(now, created)) + " ago")),
            new("Digest", GoValue.Of(digest)),
            new("ID", GoValue.Of(truncate ? image.Id.Short : image.Id.ToString())),
            new("Repository", GoValue.Of(repository)),
            new("SharedSize", usage?.Shared ?? notAvailable),
            new("Size", GoValue.Of(DockerUnits.HumanSize(image.Size, 3))),
            new("Tag", GoValue.Of(tag)),
            new("UniqueSize", usage?.Unique ?? notAvailable),
            new("VirtualSize", GoValue.Of(DockerUnits.HumanSize(image.Size))),
        ], HtmlEscapedJson: true);
    }
}

namespace Sbuild.TestSupport;

/// <summary>How to compare two root file systems.</summary>
public sealed record RootfsCompareOptions
{
    public static RootfsCompareOptions Default { get; } = new();

    /// <summary>Name of the first (expected) tree in messages.</summary>
    public string ExpectedName { get; init; } = "buildkit";
    /// <summary>Name of the second (actual) tree in messages.</summary>
    public string ActualName { get; init; } = "sbuild";
    /// <summary>
    /// Rootfs paths (<c>/etc/hosts</c>) left out of the comparison; an ignored directory takes its whole subtree with it.
    /// Keep this minimal and say at the call site why each path may legitimately differ.
    /// </summary>
    public IReadOnlyCollection<string> IgnorePaths { get; init; } = [];
    /// <summary>
    /// When set, the mtimes of entries that are older than this on either side are compared (to the nanosecond). Two
    /// builds cannot agree on the time a step writes a file, but files that come from the base image or the build
    /// context keep their times through a build, and a step that touches an entry it should not (a directory a mount
    /// stub was created in, say) gives it a new one. Pass the instant the builds started (after the context was
    /// written).
    /// </summary>
    public UnixTime? CompareMtimesOlderThan { get; init; }
}

/// <summary>
/// Compares two unpacked root file systems entry by entry: type, permission bits (with setuid/setgid/sticky), owner,
/// size and sha256 of regular files, symlink targets, device numbers and hard-link groups, and the mtimes of entries
/// older than <see cref="RootfsCompareOptions.CompareMtimesOlderThan"/> (other times are never compared: two builds do
/// not agree on them). The roots themselves are not compared: layers need not have an entry for "/".
/// </summary>
public static class RootfsComparer
{
    /// <summary>Human-readable differences, sorted by path; empty when the trees are equal.</summary>
    public static IReadOnlyList<string> Compare(string expectedRoot, string actualRoot, RootfsCompareOptions? options = null)
    {
        options ??= RootfsCompareOptions.Default;
        return Compare(RootfsScanner.Scan(expectedRoot), RootfsScanner.Scan(actualRoot), options);
    }

    public static IReadOnlyList<string> Compare(
        IReadOnlyDictionary<string, RootfsEntry> expected, IReadOnlyDictionary<string, RootfsEntry> actual, RootfsCompareOptions options)
    {
        var ignored = options.IgnorePaths.Select(p => "/" + p.Trim('/')).ToHashSet(StringComparer.Ordinal);
        bool IsIgnored(string path) => ignored.Any(i => path == i || path.StartsWith(i + "/", StringComparison.Ordinal));

        var differences = new List<string>();
        var paths = expected.Keys.Union(actual.Keys).Where(p => !IsIgnored(p)).Order(StringComparer.Ordinal);
        foreach (var path in paths)
        {
            var e = expected.GetValueOrDefault(path);
            var a = actual.GetValueOrDefault(path);
            if (a is null) differences.Add($"only in {options.ExpectedName}: {path}");
            else if (e is null) differences.Add($"only in {options.ActualName}: {path}");
            else CompareEntry(e, a, options, differences);
        }
        return differences;
    }

    private static void CompareEntry(RootfsEntry e, RootfsEntry a, RootfsCompareOptions o, List<string> differences)
    {
        void Differ(string what, object? expected, object? actual) =>
            differences.Add($"{e.Path}: {what} {expected ?? "(none)"} ({o.ExpectedName}) vs {actual ?? "(none)"} ({o.ActualName})");

        if (e.Kind != a.Kind)
        {
            Differ("type", e.Kind, a.Kind); // the other properties of different kinds are not comparable
            return;
        }
        if (e.Permissions != a.Permissions) Differ("mode", RootfsFormat.Mode(e.Permissions), RootfsFormat.Mode(a.Permissions));
        if (e.Uid != a.Uid || e.Gid != a.Gid) Differ("owner", $"{e.Uid}:{e.Gid}", $"{a.Uid}:{a.Gid}");
        switch (e.Kind)
        {
            case FileKind.Regular:
                if (e.Size != a.Size) Differ("size", e.Size, a.Size);
                if (e.Sha256 != a.Sha256) Differ("sha256", e.Sha256, a.Sha256);
                break;
            case FileKind.Symlink:
                if (e.LinkTarget != a.LinkTarget) Differ("link target", e.LinkTarget, a.LinkTarget);
                break;
            case FileKind.CharDevice or FileKind.BlockDevice:
                if (e.RdevMajor != a.RdevMajor || e.RdevMinor != a.RdevMinor)
                    Differ("device", $"{e.RdevMajor},{e.RdevMinor}", $"{a.RdevMajor},{a.RdevMinor}");
                break;
        }
        if (!e.HardLinks.SequenceEqual(a.HardLinks, StringComparer.Ordinal))
            Differ("hard links", FormatLinks(e.HardLinks), FormatLinks(a.HardLinks));
        if (o.CompareMtimesOlderThan is { } old && (e.Modified < old || a.Modified < old) && e.Modified != a.Modified)
            Differ("mtime", e.Modified, a.Modified);
    }

    private static string FormatLinks(IReadOnlyList<string> links) => links.Count == 0 ? "none" : "[" + string.Join(", ", links) + "]";
}

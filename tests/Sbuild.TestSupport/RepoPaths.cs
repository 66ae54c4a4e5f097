namespace Sbuild.TestSupport;

/// <summary>Well-known directories of the checkout: the repository root (holding Builder.sln) and the shared/ folder beside it.</summary>
public static class RepoPaths
{
    private const string SolutionFile = "Builder.sln";
    private static readonly Lazy<string> LazyRoot = new(FindRoot);

    /// <summary>The directory holding Builder.sln, found by walking up from the test assembly.</summary>
    public static string Root => LazyRoot.Value;

    /// <summary>
    /// <c>ROOT/../shared</c>, which holds material shared between the project's repositories. In a git worktree (whose
    /// <c>.git</c> is a file naming the main checkout's git directory) it is the shared folder beside the main checkout,
    /// so worktrees placed anywhere use the same data.
    /// </summary>
    public static string Shared => LazyShared.Value;

    private static readonly Lazy<string> LazyShared = new(FindShared);

    private static string FindShared()
    {
        var candidates = new List<string> { Path.GetFullPath(Path.Combine(Root, "..", "shared")) };
        if (MainCheckoutOfWorktree(Root) is { } main) candidates.Add(Path.GetFullPath(Path.Combine(main, "..", "shared")));
        return candidates.FirstOrDefault(Directory.Exists)
            ?? throw new DirectoryNotFoundException($"the shared folder was not found: looked for {string.Join(" and ", candidates)}");
    }

    /// <summary>The main checkout of the worktree at <paramref name="root"/>, or null when it is not a worktree.</summary>
    private static string? MainCheckoutOfWorktree(string root)
    {
        // A worktree's .git file reads "gitdir: MAIN/.git/worktrees/NAME"; that directory's commondir names MAIN/.git.
        var dotGit = Path.Combine(root, ".git");
        if (!File.Exists(dotGit)) return null;
        var line = File.ReadAllText(dotGit).Trim();
        if (!line.StartsWith("gitdir:", StringComparison.Ordinal)) return null;
        var gitDir = Path.GetFullPath(line["gitdir:".Length..].Trim(), root);
        var commonDirFile = Path.Combine(gitDir, "commondir");
        if (!File.Exists(commonDirFile)) return null;
        var commonDir = Path.GetFullPath(File.ReadAllText(commonDirFile).Trim(), gitDir);
        return Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(commonDir));
    }

    /// <summary>A path inside the repository; fails when it does not exist so a typo is not mistaken for "no files".</summary>
    public static string InRepo(params string[] parts)
    {
        var path = Path.Combine([Root, .. parts]);
        return File.Exists(path) || Directory.Exists(path)
            ? path
            : throw new FileNotFoundException($"{path} does not exist in the repository");
    }

    private static string FindRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, SolutionFile)))
                    return dir.FullName;
        throw new DirectoryNotFoundException(
            $"cannot find the repository root: no {SolutionFile} above {AppContext.BaseDirectory} or {Directory.GetCurrentDirectory()}");
    }
}

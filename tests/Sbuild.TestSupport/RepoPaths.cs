namespace Sbuild.TestSupport;

/// <summary>Well-known directories of the checkout: the repository root (holding Builder.sln) and the shared/ folder beside it.</summary>
public static class RepoPaths
{
    private const string SolutionFile = "Builder.sln";
    private static readonly Lazy<string> LazyRoot = new(FindRoot);

    /// <summary>The directory holding Builder.sln, found by walking up from the test assembly.</summary>
    public static string Root => LazyRoot.Value;

    /// <summary><c>ROOT/../shared</c>, which holds material shared between the project's repositories.</summary>
    public static string Shared
    {
        get
        {
            var shared = Path.GetFullPath(Path.Combine(Root, "..", "shared"));
            return Directory.Exists(shared)
                ? shared
                : throw new DirectoryNotFoundException($"the shared folder {shared} (beside the repository {Root}) does not exist");
        }
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

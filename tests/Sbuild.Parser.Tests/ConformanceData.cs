namespace Sbuild.Parser.Tests;

/// <summary>
/// Locates the shared BuildKit conformance data: <c>../shared/conformance</c> relative to the repository root
/// (the first ancestor of the test assembly folder that contains Builder.sln). The data is never copied into the repo.
/// </summary>
internal static class ConformanceData
{
    private static readonly Lazy<(string? Root, string Problem)> Located = new(Locate);

    /// <summary>The conformance folder, or null when it cannot be found (see <see cref="Problem"/>).</summary>
    public static string? Root => Located.Value.Root;

    public static string Problem => Located.Value.Problem;

    /// <summary>The conformance folder; fails the calling test loudly when the data is missing.</summary>
    public static string RequireRoot()
    {
        if (Root is null) Assert.Fail(Problem);
        return Root!;
    }

    public static string Path(params string[] parts) => System.IO.Path.Combine([RequireRoot(), .. parts]);

    /// <summary>Sentinel case name used when the data is missing, so the theory runs and fails instead of vanishing.</summary>
    public const string Missing = "<conformance data missing>";

    /// <summary>Case folder names under <paramref name="suite"/>, or the <see cref="Missing"/> sentinel.</summary>
    public static IEnumerable<object[]> CaseNames(string suite)
    {
        if (Root is null) return [[Missing]];
        string dir = System.IO.Path.Combine(Root, suite);
        if (!Directory.Exists(dir)) return [[Missing]];
        return Directory.GetDirectories(dir)
            .Select(System.IO.Path.GetFileName)
            .Order(StringComparer.Ordinal)
            .Select(name => new object[] { name! })
            .ToList();
    }

    private static (string?, string) Locate()
    {
        string start = AppContext.BaseDirectory;
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (!File.Exists(System.IO.Path.Combine(dir.FullName, "Builder.sln"))) continue;
            string data = System.IO.Path.GetFullPath(System.IO.Path.Combine(dir.FullName, "..", "shared", "conformance"));
            return Directory.Exists(data)
                ? (data, "")
                : (null, $"Conformance data folder not found: looked for '{data}' (../shared/conformance next to the repository root '{dir.FullName}'). Put the shared data there; it is not part of the repository.");
        }
        return (null, $"Could not find the repository root (a folder containing Builder.sln) above '{start}', so ../shared/conformance could not be located.");
    }
}

namespace Sbuild.TestSupport;

/// <summary>A fresh directory under the system temp folder, deleted (with everything in it) on dispose.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory(string prefix = "sbuild-test-")
    {
        Path = Directory.CreateTempSubdirectory(prefix).FullName;
    }

    public string Path { get; }

    /// <summary>A path inside the directory (not created).</summary>
    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public override string ToString() => Path;

    public void Dispose()
    {
        // sbuild's own delete: trees a test leaves can be deeper than PATH_MAX.
        Sbuild.Core.TreeRemover.Delete(Path);
    }
}

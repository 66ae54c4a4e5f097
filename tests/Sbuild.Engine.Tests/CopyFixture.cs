using Sbuild.TestSupport;

namespace Sbuild.Engine.Tests;

/// <summary>A source tree (build context or another stage) and a destination rootfs, both fresh temp directories.</summary>
public sealed class CopyFixture : IDisposable
{
    public static readonly CopyOwnership DefaultOwnership = new(Uid: null, Gid: null, Mode: null, PreserveOwnership: false);

    private readonly TempDirectory _source = new("sbuild-copy-src-");
    private readonly TempDirectory _dest = new("sbuild-copy-dst-");

    public CopyFixture()
    {
        Source = new RootfsBuilder(_source.Path);
        Dest = new RootfsBuilder(_dest.Path);
    }

    public RootfsBuilder Source { get; }

    public RootfsBuilder Dest { get; }

    public void Copy(string destination, params string[] sources) => Copy(DefaultOwnership, destination, sources);

    public void Copy(CopyOwnership ownership, string destination, params string[] sources) =>
        FileCopier.Copy(Source.Root, new CopySelection(sources), Dest.Root, destination, ownership);

    public FileStat StatDest(string path) => UnixFs.LStat(Dest.HostPath(path));

    public string ReadDest(string path) => File.ReadAllText(Dest.HostPath(path));

    /// <summary>Names directly inside a destination directory, sorted.</summary>
    public string[] ListDest(string path) =>
        [.. Directory.EnumerateFileSystemEntries(Dest.HostPath(path)).Select(p => Path.GetFileName(p)!).Order(StringComparer.Ordinal)];

    public void Dispose()
    {
        _source.Dispose();
        _dest.Dispose();
    }
}

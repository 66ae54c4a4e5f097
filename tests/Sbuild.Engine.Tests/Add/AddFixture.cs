using Sbuild.Archive.Compression;
using Sbuild.Core;
using Sbuild.TestSupport;

namespace Sbuild.Engine.Tests.Add;

/// <summary>
/// A temp work directory holding archives, a rootfs to add them to (<see cref="Rootfs"/>) and a host directory
/// outside that rootfs (<see cref="Outside"/>) which no ADD may ever touch.
/// </summary>
public sealed class AddFixture : IDisposable
{
    public static readonly CopyOwnership NoChown = new(Uid: null, Gid: null, Mode: null, PreserveOwnership: false);

    private readonly TempDirectory _work = new("sbuild-add-");

    public AddFixture()
    {
        Directory.CreateDirectory(Path.Combine(_work.Path, "rootfs"));
        Directory.CreateDirectory(Outside);
        Rootfs = new RootfsBuilder(Path.Combine(_work.Path, "rootfs"));
    }

    public string Work => _work.Path;

    public RootfsBuilder Rootfs { get; }

    public string Outside => Path.Combine(_work.Path, "outside");

    /// <summary>Host path for a new file in the work directory (archives, downloads).</summary>
    public string WorkFile(string name) => Path.Combine(_work.Path, name);

    public Task ExtractAsync(string archive, string destination, CopyOwnership? ownership = null) =>
        ArchiveExtractor.ExtractAsync(archive, Rootfs.Root, destination, ownership ?? NoChown, CancellationToken.None);

    public FileStat Stat(string path) => UnixFs.LStat(Rootfs.HostPath(path));

    public bool Exists(string path) => Posix.TryLStat(Rootfs.HostPath(path), out _);

    public string Read(string path) => File.ReadAllText(Rootfs.HostPath(path));

    /// <summary>lstat mtime (the link itself for symlinks) as seconds and nanoseconds.</summary>
    public (long Sec, long Nsec) MTime(string path)
    {
        var st = Posix.LStat(Rootfs.HostPath(path));
        return (st.MTimeSec, st.MTimeNsec);
    }

    /// <summary>Every path under the work directory outside the rootfs, symlinks listed but never followed: what ADD must leave alone.</summary>
    public string[] FilesOutsideRootfs()
    {
        var found = new List<string>();
        var pending = new Stack<string>([_work.Path]);
        while (pending.Count > 0)
        {
            foreach (var path in Directory.EnumerateFileSystemEntries(pending.Pop(), "*", new EnumerationOptions { AttributesToSkip = 0 }))
            {
                if (path == Rootfs.Root) continue;
                found.Add(Path.GetRelativePath(_work.Path, path));
                if (UnixFs.LStat(path).Kind == FileKind.Directory) pending.Push(path);
            }
        }
        return [.. found.Order(StringComparer.Ordinal)];
    }

    public void Dispose() => _work.Dispose();
}

/// <summary>Compresses files with the standard command-line tools, so tests read what real users produce.</summary>
public static class CompressTool
{
    /// <summary>Every compression ADD unpacks, as theory data: <c>[MemberData(nameof(CompressTool.Formats), MemberType = typeof(CompressTool))]</c>.</summary>
    public static TheoryData<ArchiveCompression> Formats => [ArchiveCompression.Gzip, ArchiveCompression.Bzip2, ArchiveCompression.Xz, ArchiveCompression.Zstd];

    /// <summary>Compresses <paramref name="path"/> (kept) and returns the compressed file's path.</summary>
    public static async Task<string> CompressAsync(ArchiveCompression format, string path)
    {
        var (tool, package, args, output) = format switch
        {
            ArchiveCompression.Gzip => ("gzip", "gzip", new[] { "-k", "-f", "-n", path }, path + ".gz"),
            ArchiveCompression.Bzip2 => ("bzip2", "bzip2", ["-k", "-f", path], path + ".bz2"),
            ArchiveCompression.Xz => ("xz", "xz-utils", ["-k", "-f", path], path + ".xz"),
            ArchiveCompression.Zstd => ("zstd", "zstd", ["-q", "-k", "-f", path, "-o", path + ".zst"], path + ".zst"),
            _ => throw new ArgumentOutOfRangeException(nameof(format)),
        };
        await ProcessRunner.RunAsync(Tools.Require(tool, $"apt-get install {package}"), args, CancellationToken.None);
        Assert.True(File.Exists(output), $"{tool} did not write {output}");
        return output;
    }
}

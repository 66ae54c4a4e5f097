using System.Formats.Tar;
using System.Text.RegularExpressions;
using Sbuild.TestSupport;

namespace Sbuild.Snapshotter.Tests;

/// <summary>One entry as System.Formats.Tar (an independent reader) sees it.</summary>
public sealed record InspectedEntry(
    string Name, TarEntryType Type, UnixFileMode Mode, int Uid, int Gid, string UserName, string GroupName,
    string LinkName, int DeviceMajor, int DeviceMinor, DateTimeOffset ModificationTime, IReadOnlyDictionary<string, string> PaxRecords, long Length);

/// <summary>Reads layer tars with System.Formats.Tar and lists them with GNU tar, so sbuild's own reader is not the judge.</summary>
public static class LayerTarInspection
{
    public static List<InspectedEntry> Entries(byte[] tar)
    {
        var entries = new List<InspectedEntry>();
        using var reader = new TarReader(new MemoryStream(tar));
        while (reader.GetNextEntry() is { } e)
        {
            var posix = (PosixTarEntry)e;
            var pax = e is PaxTarEntry p ? p.ExtendedAttributes.ToDictionary() : new Dictionary<string, string>();
            entries.Add(new InspectedEntry(e.Name, e.EntryType, e.Mode, e.Uid, e.Gid, posix.UserName, posix.GroupName, e.LinkName,
                posix.DeviceMajor, posix.DeviceMinor, e.ModificationTime, pax, e.Length));
        }
        return entries;
    }

    /// <summary><c>tar -tvf</c> lines by entry name (GNU tar verifies checksums and structure while listing).</summary>
    public static async Task<Dictionary<string, string>> GnuTarListingAsync(byte[] tar, string workDir)
    {
        var gnuTar = Tools.Tar;
        var path = Path.Combine(workDir, $"listing-{Guid.NewGuid():N}.tar");
        await File.WriteAllBytesAsync(path, tar);
        var result = await ProcessRunner.RunAsync(gnuTar, ["--numeric-owner", "-tvf", path], CancellationToken.None);
        Assert.Equal("", result.StandardError);
        // "-rw-r--r-- 0/0   5 2024-01-01 00:00 name", "hrw… name link to other", "lrwx… name -> target"
        var line = new Regex(@"^\S+ \d+/\d+ +[\d,]+ \S+ \S+ (?<name>.+?)(?: link to .*| -> .*)?$");
        return result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .ToDictionary(l => line.Match(l) is { Success: true } m ? m.Groups["name"].Value : throw new Xunit.Sdk.XunitException($"unexpected tar -tv line: {l}"));
    }
}

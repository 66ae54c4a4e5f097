using System.Text;
using Sbuild.Archive.Tar;
using Sbuild.Core;
using Sbuild.TestSupport;

namespace Sbuild.Archive.Tests;

/// <summary>
/// The one tar reader, where the System.Formats.Tar reader ADD used and the layer reader disagreed: it reads as Go's
/// archive/tar (BuildKit, containerd, docker) does.
/// </summary>
public sealed class TarArchiveReaderTests
{
    private static async Task<List<TarHeader>> ReadAllAsync(byte[] tar)
    {
        var reader = new TarArchiveReader(new MemoryStream(tar));
        var headers = new List<TarHeader>();
        while (await reader.ReadNextAsync(CancellationToken.None) is { } header) headers.Add(header);
        return headers;
    }

    [Fact]
    public async Task Only_a_nul_typed_entry_named_with_a_slash_is_a_directory()
    {
        // Go: a TypeRegA ('\0') entry ending in '/' is a directory; a '0' entry stays a regular file whatever its name.
        byte[] tar = [.. RawTar.Header("v7dir/", 0, ustar: false), .. RawTar.Header("v7file", 0, ustar: false), .. RawTar.Header("posix/", (byte)'0'), .. RawTar.End];

        var kinds = (await ReadAllAsync(tar)).Select(h => (h.Name, h.Kind));

        Assert.Equal([("v7dir/", TarEntryKind.Directory), ("v7file", TarEntryKind.File), ("posix/", TarEntryKind.File)], kinds);
    }

    [Theory]
    [InlineData("1577934245.123456789", 1_577_934_245L, 123_456_789)]
    [InlineData("1577934245.1234567891", 1_577_934_245L, 123_456_789)] // past nine digits is dropped
    [InlineData("1.5", 1L, 500_000_000)]
    [InlineData("7", 7L, 0)]
    [InlineData("-1.25", -2L, 750_000_000)] // 1.25 s before the epoch
    [InlineData("-0.5", -1L, 500_000_000)]
    public async Task Pax_times_keep_every_nanosecond(string mtime, long seconds, int nanoseconds)
    {
        byte[] tar = [.. RawTar.Pax(("mtime", mtime)), .. RawTar.Header("f", (byte)'0'), .. RawTar.End];

        var header = Assert.Single(await ReadAllAsync(tar));

        Assert.Equal((seconds, nanoseconds), (header.ModificationTime, header.ModificationTimeNanoseconds));
    }

    [Theory]
    [InlineData("1.5x")]
    [InlineData(".5")]
    [InlineData("")]
    public async Task A_malformed_pax_time_is_refused(string mtime)
    {
        byte[] tar = [.. RawTar.Pax(("mtime", mtime)), .. RawTar.Header("f", (byte)'0'), .. RawTar.End];

        var error = await Assert.ThrowsAsync<SbuildException>(() => ReadAllAsync(tar));

        Assert.Equal(ErrorCode.InvalidArchive, error.Code);
        Assert.Contains("mtime", error.Message);
    }

    [Fact]
    public async Task Negative_base256_times_from_gnu_tar_are_read()
    {
        using var dir = new TempDirectory("sbuild-archive-");
        var file = Path.Combine(dir.Path, "old");
        File.WriteAllText(file, "x");
        Posix.SetTimes(file, -315_619_200, 0); // 1960-01-01, which GNU tar stores in base-256
        var archive = Path.Combine(dir.Path, "gnu.tar");
        await ProcessRunner.RunAsync(Tools.Tar, ["--format=gnu", "-C", dir.Path, "-cf", archive, "old"], CancellationToken.None);

        var header = Assert.Single(await ReadAllAsync(File.ReadAllBytes(archive)));

        Assert.Equal(("old", -315_619_200L), (header.Name, header.ModificationTime));
    }

    [Fact]
    public async Task A_header_summed_as_signed_bytes_is_accepted()
    {
        // Some old writers summed signed chars; a non-ASCII name makes the two sums differ.
        byte[] tar = [.. RawTar.Header("é", (byte)'0', signedChecksum: true), .. RawTar.End];

        Assert.Equal("é", Assert.Single(await ReadAllAsync(tar)).Name);
    }

    [Fact]
    public async Task Unsupported_types_are_refused_naming_the_entry_and_the_archive()
    {
        byte[] tar = [.. RawTar.Header("volume", (byte)'V'), .. RawTar.End];

        var error = await Assert.ThrowsAsync<SbuildException>(() => new TarArchiveReader(new MemoryStream(tar), "odd.tar").ReadNextAsync(CancellationToken.None));

        Assert.Equal(ErrorCode.InvalidArchive, error.Code);
        Assert.StartsWith("archive odd.tar: ", error.Message);
        Assert.Contains("\"volume\"", error.Message);
    }

    [Fact]
    public void StartsWithEntry_accepts_any_well_formed_first_header_as_go_does()
    {
        static bool Probe(byte[] bytes) => TarArchiveReader.StartsWithEntry(new MemoryStream(bytes));

        Assert.True(Probe([.. RawTar.Header("f", (byte)'0'), .. RawTar.End]));
        // Types sbuild refuses to extract still make a tar (BuildKit then fails extracting, it does not copy the file).
        Assert.True(Probe([.. RawTar.Header("volume", (byte)'V'), .. RawTar.End]));
        Assert.True(Probe([.. RawTar.Header("sparse", (byte)'S'), .. RawTar.End]));
        Assert.True(Probe([.. RawTar.Pax(("GNU.sparse.major", "1")), .. RawTar.Header("f", (byte)'0'), .. RawTar.End]));

        Assert.False(Probe([]));
        Assert.False(Probe(RawTar.End));
        Assert.False(Probe(RawTar.Header("f", (byte)'0')[..300]));
        Assert.False(Probe(Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("plain text\n", 100)))));
    }
}

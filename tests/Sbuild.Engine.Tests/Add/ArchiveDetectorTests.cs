using System.Formats.Tar;
using Sbuild.Archive.Compression;

namespace Sbuild.Engine.Tests.Add;

/// <summary>ADD decides to unpack from a file's content, never from its name.</summary>
public sealed class ArchiveDetectorTests : IDisposable
{
    private readonly AddFixture _f = new();

    public void Dispose() => _f.Dispose();

    private string SmallTar(string name, TarEntryFormat format = TarEntryFormat.Pax) =>
        new TarBuilder(format).Dir("d/").File("d/hello.txt", "hello").WriteTo(_f.WorkFile(name));

    private string TextFile(string name)
    {
        var path = _f.WorkFile(name);
        File.WriteAllText(path, string.Concat(Enumerable.Repeat("plain text, not an archive\n", 50)));
        return path;
    }

    /// <summary>Compresses <paramref name="source"/> into the work file <paramref name="name"/>, a name chosen not to match the format.</summary>
    private async Task<string> CompressToAsync(ArchiveCompression format, string source, string name)
    {
        var renamed = _f.WorkFile(name);
        File.Move(await CompressTool.CompressAsync(format, source), renamed);
        return renamed;
    }

    [Theory]
    [InlineData(TarEntryFormat.Pax)]
    [InlineData(TarEntryFormat.Gnu)]
    [InlineData(TarEntryFormat.Ustar)]
    [InlineData(TarEntryFormat.V7)]
    public void A_plain_tar_of_any_format_is_an_archive(TarEntryFormat format)
    {
        Assert.True(ArchiveDetector.TryDetect(SmallTar("x.bin", format), out var compression));
        Assert.Equal(ArchiveCompression.None, compression);
    }

    [Theory]
    [MemberData(nameof(CompressTool.Formats), MemberType = typeof(CompressTool))]
    public async Task A_compressed_tar_is_an_archive_whatever_its_name(ArchiveCompression format)
    {
        var misnamed = await CompressToAsync(format, SmallTar("data"), "readme.txt");

        Assert.True(ArchiveDetector.TryDetect(misnamed, out var detected));
        Assert.Equal(format, detected);
    }

    [Fact]
    public async Task A_tar_gz_named_txt_is_unpacked()
    {
        var misnamed = await CompressToAsync(ArchiveCompression.Gzip, SmallTar("site.tar"), "notes.txt");

        Assert.True(ArchiveDetector.IsArchive(misnamed));
        await _f.ExtractAsync(misnamed, "/www");
        Assert.Equal("hello", _f.Read("/www/d/hello.txt"));
    }

    [Theory]
    [MemberData(nameof(CompressTool.Formats), MemberType = typeof(CompressTool))]
    public async Task Compressed_text_is_not_an_archive(ArchiveCompression format)
    {
        var tarName = await CompressToAsync(format, TextFile("notes"), "looks-like.tar.gz");

        Assert.False(ArchiveDetector.IsArchive(tarName));
    }

    [Fact]
    public void Plain_text_named_tar_is_not_an_archive() => Assert.False(ArchiveDetector.IsArchive(TextFile("fake.tar")));

    [Fact]
    public void An_empty_file_is_not_an_archive()
    {
        var empty = _f.WorkFile("empty.tar");
        File.WriteAllBytes(empty, []);
        Assert.False(ArchiveDetector.IsArchive(empty));
    }

    [Fact]
    public void An_empty_tar_of_only_zero_blocks_is_not_an_archive()
    {
        var zeros = _f.WorkFile("zeros.tar");
        File.WriteAllBytes(zeros, new byte[10240]);
        Assert.False(ArchiveDetector.IsArchive(zeros));
    }

    [Fact]
    public void A_tar_whose_first_header_checksum_is_wrong_is_not_an_archive()
    {
        var tar = SmallTar("good.tar", TarEntryFormat.Ustar);
        Assert.True(ArchiveDetector.IsArchive(tar)); // the same bytes before the damage
        var bytes = File.ReadAllBytes(tar);
        bytes[0] ^= 0x01; // first byte of the name: the recorded checksum no longer matches
        File.WriteAllBytes(tar, bytes);

        Assert.False(ArchiveDetector.IsArchive(tar));
    }

    [Fact]
    public void A_file_shorter_than_one_header_is_not_an_archive()
    {
        var tar = SmallTar("cut.tar");
        var bytes = File.ReadAllBytes(tar);
        File.WriteAllBytes(tar, bytes[..300]);
        Assert.False(ArchiveDetector.IsArchive(tar));
    }

    [Fact]
    public void Directories_and_symlinks_are_not_archives()
    {
        var tar = SmallTar("real.tar");
        var link = _f.WorkFile("link.tar");
        File.CreateSymbolicLink(link, tar);

        Assert.False(ArchiveDetector.IsArchive(link)); // the caller resolves links inside its root first
        Assert.False(ArchiveDetector.IsArchive(_f.Work));
        Assert.False(ArchiveDetector.IsArchive(_f.WorkFile("missing")));
    }
}

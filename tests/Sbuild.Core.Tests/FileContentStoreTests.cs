using System.Text;
using Sbuild.Core;
using Sbuild.TestSupport;

namespace Sbuild.Core.Tests;

public sealed class FileContentStoreTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly FileContentStore _store;

    public FileContentStoreTests() => _store = new FileContentStore(_dir.Path);

    public void Dispose() => _dir.Dispose();

    private string IngestDir => Path.Combine(_dir.Path, "ingest");
    private string BlobDir => Path.Combine(_dir.Path, "blobs", "sha256");

    [Fact]
    public void Committed_blob_is_stored_under_its_digest_and_readable()
    {
        var content = Encoding.UTF8.GetBytes("hello blob");
        Descriptor descriptor;
        using (var writer = _store.OpenWriter())
        {
            writer.Stream.Write(content.AsSpan(0, 5));
            writer.Stream.Write(content.AsSpan(5));
            descriptor = writer.Commit(MediaTypes.OciLayer);
        }

        Assert.Equal(Digest.Of(content), descriptor.Digest);
        Assert.Equal(content.Length, descriptor.Size);
        Assert.Equal(MediaTypes.OciLayer, descriptor.MediaType);
        Assert.True(_store.Exists(descriptor.Digest));
        Assert.Equal(content.Length, _store.SizeOf(descriptor.Digest));
        Assert.Equal(Path.Combine(BlobDir, descriptor.Digest.Encoded), _store.PathOf(descriptor.Digest));
        using (var read = _store.OpenRead(descriptor.Digest))
        using (var copy = new MemoryStream())
        {
            read.CopyTo(copy);
            Assert.Equal(content, copy.ToArray());
        }
        Assert.Equal([descriptor.Digest], _store.Walk());
        Assert.Empty(Directory.EnumerateFileSystemEntries(IngestDir));
    }

    [Fact]
    public void Commit_with_the_right_expected_digest_succeeds()
    {
        var content = "expected"u8.ToArray();
        using var writer = _store.OpenWriter();
        writer.Stream.Write(content);
        var descriptor = writer.Commit(MediaTypes.OciConfig, Digest.Of(content));
        Assert.True(_store.Exists(Digest.Of(content)));
        Assert.Equal(Digest.Of(content), descriptor.Digest);
    }

    [Fact]
    public void Digest_mismatch_throws_and_leaves_nothing_behind()
    {
        var content = "actual bytes"u8.ToArray();
        var claimed = Digest.Of("claimed bytes"u8);
        using (var writer = _store.OpenWriter())
        {
            writer.Stream.Write(content);
            var e = Assert.Throws<SbuildException>(() => writer.Commit(MediaTypes.OciLayer, claimed));
            Assert.Equal(ErrorCode.DigestMismatch, e.Code);
            Assert.Contains(claimed.ToString(), e.Message);
            Assert.Contains(Digest.Of(content).ToString(), e.Message);
        }

        Assert.False(_store.Exists(claimed));
        Assert.False(_store.Exists(Digest.Of(content)));
        Assert.Empty(Directory.EnumerateFileSystemEntries(BlobDir));
        Assert.Empty(Directory.EnumerateFileSystemEntries(IngestDir));
    }

    [Fact]
    public void Dispose_without_commit_discards_the_partial_blob()
    {
        var content = "never committed"u8.ToArray();
        using (var writer = _store.OpenWriter())
        {
            writer.Stream.Write(content);
            Assert.Single(Directory.EnumerateFileSystemEntries(IngestDir)); // it really was being written
        }

        Assert.False(_store.Exists(Digest.Of(content)));
        Assert.Empty(Directory.EnumerateFileSystemEntries(BlobDir));
        Assert.Empty(Directory.EnumerateFileSystemEntries(IngestDir));
        Assert.Empty(_store.Walk());
    }

    [Fact]
    public void Writing_the_same_content_twice_keeps_one_blob()
    {
        var first = _store.WriteBytes("same"u8, MediaTypes.OciLayer);
        var second = _store.WriteBytes("same"u8, MediaTypes.OciLayer);
        Assert.Equal(first, second);
        Assert.Single(_store.Walk());
        Assert.Empty(Directory.EnumerateFileSystemEntries(IngestDir));
    }

    [Fact]
    public void Missing_blob_reports_BlobNotFound_and_no_size()
    {
        var missing = Digest.Of("missing"u8);
        Assert.False(_store.Exists(missing));
        Assert.Null(_store.SizeOf(missing));
        var e = Assert.Throws<SbuildException>(() => _store.OpenRead(missing));
        Assert.Equal(ErrorCode.BlobNotFound, e.Code);
        Assert.Contains(missing.ToString(), e.Message);
    }

    [Fact]
    public void Delete_removes_the_blob()
    {
        var d = _store.WriteBytes("to delete"u8, MediaTypes.OciLayer).Digest;
        _store.Delete(d);
        Assert.False(_store.Exists(d));
        Assert.Empty(_store.Walk());
    }

    [Fact]
    public void Walk_lists_every_blob_and_skips_files_that_are_not_digests()
    {
        var a = _store.WriteBytes("a"u8, MediaTypes.OciLayer).Digest;
        var b = _store.WriteBytes("b"u8, MediaTypes.OciLayer).Digest;
        File.WriteAllText(Path.Combine(BlobDir, "not-a-digest"), "x");
        Assert.Equal(new[] { a, b }.OrderBy(d => d.Encoded), _store.Walk().OrderBy(d => d.Encoded));
    }

    [Fact]
    public void Json_round_trips_and_a_non_object_blob_is_StoreCorrupt()
    {
        var config = new ImageConfig
        {
            Architecture = "amd64",
            Os = "linux",
            RootFs = new RootFs { DiffIds = [Digest.Of("layer"u8)] },
            Config = new ContainerConfig { Env = ["A=1"], Cmd = ["sh"] },
        };
        var d = _store.WriteJson(config, OciJsonContext.Canonical.ImageConfig, MediaTypes.OciConfig);
        var back = _store.ReadJson(d.Digest, OciJsonContext.Canonical.ImageConfig);
        Assert.Equal(["A=1"], back.Config.Env!);
        Assert.Equal(config.RootFs.DiffIds, back.RootFs.DiffIds);

        var nullBlob = _store.WriteBytes("null"u8, MediaTypes.OciConfig).Digest;
        var e = Assert.Throws<SbuildException>(() => _store.ReadJson(nullBlob, OciJsonContext.Canonical.ImageConfig));
        Assert.Equal(ErrorCode.StoreCorrupt, e.Code);
    }
}

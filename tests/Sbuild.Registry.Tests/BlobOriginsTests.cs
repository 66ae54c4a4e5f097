using System.Text;
using Sbuild.Core;
using Sbuild.TestSupport;

namespace Sbuild.Registry.Tests;

/// <summary>
/// Where a blob is known to live, for cross-repository mounts (distribution spec: <c>POST /v2/NAME/blobs/uploads/?mount=DIGEST&amp;from=OTHER</c>,
/// which only works within one registry).
/// </summary>
public sealed class BlobOriginsTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly BlobOrigins _origins;
    private static readonly Digest Blob = Digest.Of(Encoding.UTF8.GetBytes("layer"));
    private static readonly Digest OtherBlob = Digest.Of(Encoding.UTF8.GetBytes("other layer"));

    public BlobOriginsTests() => _origins = new BlobOrigins(_temp.Path);

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void An_unknown_blob_has_no_origins_and_no_mount_source()
    {
        Assert.Empty(_origins.Of(Blob));
        Assert.Null(_origins.MountSource(Blob, "ghcr.io", "o/r"));
    }

    [Fact]
    public void Another_repository_on_the_same_registry_is_a_mount_source()
    {
        _origins.Record(Blob, "registry.example.com:5000", "team/base");

        Assert.Equal("team/base", _origins.MountSource(Blob, "registry.example.com:5000", "team/app"));
    }

    [Fact]
    public void The_destination_repository_itself_is_never_the_mount_source()
    {
        _origins.Record(Blob, "ghcr.io", "o/app");

        Assert.Null(_origins.MountSource(Blob, "ghcr.io", "o/app"));

        _origins.Record(Blob, "ghcr.io", "o/base");
        Assert.Equal("o/base", _origins.MountSource(Blob, "ghcr.io", "o/app"));
    }

    [Fact]
    public void A_repository_on_another_registry_is_never_the_mount_source()
    {
        _origins.Record(Blob, "docker.io", "library/busybox");
        _origins.Record(Blob, "127.0.0.1:5000", "library/busybox");

        Assert.Null(_origins.MountSource(Blob, "ghcr.io", "o/app"));
        Assert.Null(_origins.MountSource(Blob, "127.0.0.1:5001", "o/app"));
        Assert.Equal("library/busybox", _origins.MountSource(Blob, "docker.io", "me/busybox"));
    }

    [Fact]
    public void A_registry_whose_name_prefixes_another_is_not_confused_with_it()
    {
        _origins.Record(Blob, "registry.example.com:5000", "a/b");

        Assert.Null(_origins.MountSource(Blob, "registry.example.com", "c/d"));
        Assert.Null(_origins.MountSource(Blob, "registry.example.com:500", "c/d"));
    }

    [Fact]
    public void Nested_repository_paths_are_kept_whole()
    {
        _origins.Record(Blob, "docker.io", "library/busybox");
        _origins.Record(Blob, "gitlab.example.com", "group/sub/project");

        Assert.Equal("library/busybox", _origins.MountSource(Blob, "docker.io", "user/app"));
        Assert.Equal("group/sub/project", _origins.MountSource(Blob, "gitlab.example.com", "group/other"));
    }

    [Fact]
    public void Origins_are_per_digest()
    {
        _origins.Record(Blob, "ghcr.io", "o/base");

        Assert.Null(_origins.MountSource(OtherBlob, "ghcr.io", "o/app"));
        Assert.Empty(_origins.Of(OtherBlob));
    }

    [Fact]
    public void Recording_the_same_origin_twice_keeps_one_line()
    {
        _origins.Record(Blob, "ghcr.io", "o/base");
        _origins.Record(Blob, "ghcr.io", "o/base");
        _origins.Record(Blob, "ghcr.io", "o/other");
        _origins.Record(Blob, "ghcr.io", "o/base");

        Assert.Equal(2, _origins.Of(Blob).Count);
        Assert.Equal(_origins.Of(Blob).Count, _origins.Of(Blob).Distinct().Count());
        Assert.Contains("ghcr.io/o/base", _origins.Of(Blob));
        Assert.Contains("ghcr.io/o/other", _origins.Of(Blob));
    }

    [Fact]
    public void At_most_eight_origins_are_kept_and_the_newest_survive()
    {
        for (var i = 0; i < 12; i++) _origins.Record(Blob, "ghcr.io", $"o/repo{i}");

        var known = _origins.Of(Blob);
        Assert.Equal(8, known.Count);
        Assert.Contains("ghcr.io/o/repo11", known);
        Assert.DoesNotContain("ghcr.io/o/repo0", known);
        Assert.Equal(known.Count, known.Distinct().Count());
        // The most recent origin is the one offered for a mount.
        Assert.Equal("o/repo11", _origins.MountSource(Blob, "ghcr.io", "o/app"));
        Assert.Equal("o/repo10", _origins.MountSource(Blob, "ghcr.io", "o/repo11"));
    }

    [Fact]
    public void Origins_survive_a_new_instance_on_the_same_store()
    {
        _origins.Record(Blob, "ghcr.io", "o/base");

        Assert.Equal("o/base", new BlobOrigins(_temp.Path).MountSource(Blob, "ghcr.io", "o/app"));
    }
}

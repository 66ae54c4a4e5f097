using Sbuild.Core;
using Sbuild.Snapshotter;
using static Sbuild.Snapshotter.Tests.TreeBuilder;

namespace Sbuild.Snapshotter.Tests;

public sealed class MounterTests : IDisposable
{
    private readonly SnapshotFixture _fixture = new();

    public void Dispose() => _fixture.Dispose();

    [Fact]
    public void Read_only_bind_mounts_refuse_writes_and_read_write_ones_write_through()
    {
        var source = _fixture.NewDirectory("source");
        Write(source, "f", "x");

        _fixture.WithMounted([new Mount("bind", source, ["rbind", "ro"])], target =>
        {
            Assert.Equal("x", Read(target, "f"));
            Assert.ThrowsAny<IOException>(() => Write(target, "g", "y"));
        });
        _fixture.WithMounted([new Mount("bind", source, ["rbind", "rw"])], target => Write(target, "g", "y"));

        Assert.Equal("y", Read(source, "g"));
    }

    [Fact]
    public void Failures_name_the_target_and_the_system_error()
    {
        var missing = _fixture.Root("no-such-dir");

        var error = Assert.Throws<SbuildException>(() => Mounter.Mount(new Mount("bind", _fixture.NewDirectory("s"), ["rbind"]), missing));

        Assert.Equal(ErrorCode.MountFailed, error.Code);
        Assert.Contains(missing, error.Message);
        Assert.Contains("No such file or directory", error.Message);
        var unmount = Assert.Throws<SbuildException>(() => Mounter.Unmount(_fixture.NewDirectory("not-mounted")));
        Assert.Contains("Invalid argument", unmount.Message);
    }

    [Fact]
    public void When_a_later_mount_fails_the_earlier_ones_are_undone()
    {
        var target = _fixture.NewDirectory("target");
        Mount[] mounts =
        [
            new("bind", _fixture.NewDirectory("first"), ["rbind"]),
            new("overlay", "overlay", [$"lowerdir={_fixture.Root("missing-lower")}", "upperdir=/nonexistent", "workdir=/nonexistent"]),
        ];

        Assert.Throws<SbuildException>(() => Mounter.MountAll(mounts, target));

        Assert.DoesNotContain(File.ReadAllLines("/proc/self/mountinfo"), l => l.Split(' ')[4] == target);
    }
}

using Sbuild.Snapshotter;
using Sbuild.TestSupport;
using static Sbuild.Snapshotter.Tests.TreeBuilder;

namespace Sbuild.Snapshotter.Tests;

/// <summary>
/// The same change made through the mounts of both snapshotters (with real tools: coreutils' mv falls back to copying
/// where overlayfs refuses to rename a directory) must give byte-identical layers, so an image has one digest whichever
/// snapshotter built it. Each change starts from the same two-layer base, whose files carry times without nanoseconds
/// (as unpacked from a tar), so the differs' content comparisons are exercised too.
/// </summary>
public sealed class DifferEquivalenceTests : IDisposable
{
    /// <summary>Later than the base's times, earlier than the test's: what the step writes gets this time in both layers.</summary>
    private static readonly LayerDiffOptions Clamped = new() { SourceDateEpoch = new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero) };

    private static readonly Dictionary<string, Func<string, Task>> Changes = new(StringComparer.Ordinal)
    {
        ["delete a file and a directory tree"] = root => Shell(root, "rm etc/passwd && rm -r usr/share/doc"),
        ["rename a file"] = root => Shell(root, "mv etc/conf etc/conf.renamed"),
        ["rename a directory of the parent"] = root => Shell(root, "mv opt/app opt/application"),
        ["replace a directory by one renamed into place"] = root => Shell(root, "rm -r usr/share && mv opt/app usr/share"),
        ["move a directory made in the step into the parent's"] = root =>
            Shell(root, "mkdir -p tmp/build/out/deep && echo x > tmp/build/out/deep/f && mv tmp/build/out opt/out"),
        ["replace a directory by a file"] = root => Shell(root, "rm -r opt/app && echo file > opt/app"),
        ["replace a file by a directory"] = root => Shell(root, "rm etc/group && mkdir etc/group && echo x > etc/group/inner"),
        ["recreate a directory with other content"] = root => Shell(root, "rm -r usr/share/doc && mkdir usr/share/doc && echo c > usr/share/doc/c"),
        ["recreate a directory as it was"] = root => Shell(root, "rm -r var/empty && mkdir var/empty && chmod 755 var/empty"),
        ["chmod, chown and setuid"] = root => Shell(root, "chmod u+s usr/bin/prog && chown 1000:1000 etc/conf && chmod 600 etc/group && chmod 700 home/user"),
        ["chmod to the same mode and touch to the same time"] = root => Shell(root, $"chmod 644 etc/passwd && touch -d @{OldTime.ToUnixTimeSeconds()} etc/group usr/lib/lib.so"),
        ["rewrite a file in place keeping its size"] = root => Shell(root, "printf XYZ | dd of=usr/lib/lib.so bs=1 seek=100 conv=notrunc status=none"),
        ["hard links made in the step"] = root => Shell(root, "echo n > new && ln new new-link && ln etc/passwd etc/passwd-link"),
        ["remove one name of a hard link group of the parent"] = root => Shell(root, "rm bin/alias"),
        ["symlinks, devices and fifos"] = root => Shell(root, "ln -sfn other bin/sh-link && mknod dev/zero c 1 5 && rm dev/fifo && mkfifo dev/fifo2 && mkdir -p a/b/c && ln -s ../.. a/b/c/up"),
        ["files made and deleted within the step"] = root => Shell(root, "mkdir t && touch t/1 t/2 etc/tmp && rm -r t etc/tmp"),
        ["xattrs added to files and directories"] = root =>
        {
            Xattrs.Set(Path.Combine(root, "etc/passwd"), "user.added", [0x00, 0xFF]);
            Xattrs.Set(Path.Combine(root, "usr/lib"), "user.dir", "d"u8);
            Xattrs.Set(Path.Combine(root, "etc/conf"), "user.a", "changed"u8);
            return Task.CompletedTask;
        },
        ["a whole new tree"] = root => Shell(root, "mkdir -p srv/www/static && for i in 1 2 3; do echo $i > srv/www/static/$i; done && ln -s static srv/www/current"),
    };

    /// <summary>Scenarios that end with the tree as it was (directory times aside, which are not compared): empty layers.</summary>
    private static readonly string[] WithoutChanges =
        ["files made and deleted within the step", "recreate a directory as it was", "chmod to the same mode and touch to the same time"];

    private readonly SnapshotFixture _fixture = new();

    public static TheoryData<string> Scenarios => [.. Changes.Keys];

    public void Dispose() => _fixture.Dispose();

    [Theory]
    [MemberData(nameof(Scenarios))]
    public async Task Both_differs_write_the_same_layer(string scenario)
    {
        var overlay = await LayerAsync(SnapshotterKind.Overlay, Changes[scenario]);
        var native = await LayerAsync(SnapshotterKind.Native, Changes[scenario]);

        Assert.Equal(Describe(overlay), Describe(native)); // the readable difference first
        Assert.Equal(overlay, native);
        if (!WithoutChanges.Contains(scenario)) Assert.NotEmpty(LayerTarInspection.Entries(overlay));
    }

    private async Task<byte[]> LayerAsync(SnapshotterKind kind, Func<string, Task> change)
    {
        var name = kind.ToString().ToLowerInvariant();
        var snapshotter = Snapshotters.Open(kind, _fixture.Root(name));
        var differ = Snapshotters.DifferOf(snapshotter, _fixture.NewDirectory(name + "-mounts"));
        _fixture.CommitLayer(snapshotter, "base", null, BaseTree);
        _fixture.CommitLayer(snapshotter, "mid", "base", root =>
        {
            File.Delete(Path.Combine(root, "etc/gone-in-mid"));
            Write(root, "mid/added", "mid", OldTime);
        });
        var target = _fixture.NewDirectory(name + "-step");
        using (Mounter.MountAll(snapshotter.Prepare("step", "mid"), target))
            await change(target);
        var layer = new MemoryStream();
        await differ.WriteDiffAsync("step", layer, Clamped, CancellationToken.None);
        return layer.ToArray();
    }

    /// <summary>A small root file system with every kind of entry, its times whole seconds in 2001.</summary>
    private static void BaseTree(string root)
    {
        foreach (var (path, content) in new[]
                 {
                     ("etc/passwd", "root:x:0:0::/root:/bin/sh\n"), ("etc/group", "root:x:0:\n"), ("etc/conf", "key=value\n"),
                     ("etc/gone-in-mid", "x"), ("bin/tool", "#!/bin/sh\n"), ("usr/bin/prog", "prog"), ("usr/share/doc/a", "a"),
                     ("usr/share/doc/b", "b"), ("usr/share/man/m", "m"), ("opt/app/x", "x"), ("opt/app/y", "y"), ("opt/app/sub/z", "z"),
                 })
            Write(root, path, content);
        Directory.CreateDirectory(Path.Combine(root, "usr/lib"));
        File.WriteAllBytes(Path.Combine(root, "usr/lib/lib.so"), Enumerable.Range(0, 200_000).Select(i => (byte)(i * 31 % 251)).ToArray());
        File.SetUnixFileMode(Path.Combine(root, "bin/tool"), (UnixFileMode)0b111_101_101);
        UnixFs.HardLink(Path.Combine(root, "bin/tool"), Path.Combine(root, "bin/alias"));
        File.CreateSymbolicLink(Path.Combine(root, "bin/sh-link"), "tool");
        Xattrs.Set(Path.Combine(root, "etc/conf"), "user.a", "value"u8);
        Directory.CreateDirectory(Path.Combine(root, "var/empty"));
        Directory.CreateDirectory(Path.Combine(root, "home/user"));
        UnixFs.LChown(Path.Combine(root, "home/user"), 1000, 1000);
        Directory.CreateDirectory(Path.Combine(root, "tmp"));
        File.SetUnixFileMode(Path.Combine(root, "tmp"), (UnixFileMode)0b111_111_111 | UnixFileMode.StickyBit);
        Directory.CreateDirectory(Path.Combine(root, "dev"));
        UnixFs.MakeDevice(Path.Combine(root, "dev/null"), FileKind.CharDevice, 1, 3, (UnixFileMode)0b110_110_110);
        UnixFs.MakeFifo(Path.Combine(root, "dev/fifo"), (UnixFileMode)0b110_100_100);
        foreach (var entry in Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories).OrderByDescending(p => p.Length))
            Sbuild.Core.Posix.SetTimes(entry, OldTime.ToUnixTimeSeconds(), 0);
    }

    private static async Task Shell(string root, string script) =>
        await ProcessRunner.RunAsync("/bin/sh", ["-euc", script], new ProcessRunOptions { WorkingDirectory = root }, CancellationToken.None);

    private static List<string> Describe(byte[] layer) =>
        LayerTarInspection.Entries(layer).Select(e => $"{e.Name} {e.Type} {Convert.ToString((int)e.Mode, 8)} {e.Uid}:{e.Gid} {e.Length} {e.ModificationTime:O} {e.LinkName} {string.Join(',', e.PaxRecords.Keys.Order())}").ToList();
}

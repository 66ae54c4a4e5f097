using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Sbuild.Cli.Templates;
using Sbuild.Core;
using Sbuild.TestSupport;

namespace Sbuild.Cli.Tests;

/// <summary>
/// <c>sbuild images --tree</c> against docker 29's <c>image ls --tree</c> as docker/cli prints it to a pipe: the layout of
/// its golden files (cli/command/image/testdata/tree-command-success.expanded-view-with-platforms.golden and
/// tree-command-success.untagged-with-platforms.golden: IMAGE as wide as the widest name or platform line, ID 12,
/// DISK USAGE 10 and CONTENT SIZE 12 right-aligned, EXTRA 5, 3 spaces between; an empty line after each image), the
/// order and flag rules of cli/command/image/list.go and tree.go, and the sizes of moby's containerd image store
/// (daemon/containerd/image_list.go): content = the manifest, config and layers the store has; disk usage adds the
/// unpacked size (moby's directory.Size of each layer, read here from the layer tars) of the host's platform.
/// </summary>
public sealed class ImageTreeTests(SbuildCli sbuild) : IClassFixture<SbuildCli>
{
    private const string Header = "IMAGE";

    [Fact]
    public async Task The_tree_lists_each_image_with_its_platforms_and_docker_sizes()
    {
        using var work = new TempDirectory("sbuild-tree-");
        var multi = await TwoPlatformImage.CreateAsync(sbuild, work);
        var store = work.Combine("store");
        await sbuild.RunAsync(["image", "import", sbuild.BusyboxTar, "busybox:latest"], storeRoot: store, epoch: 0);
        await sbuild.RunAsync(["load", "-i", multi.Tar], storeRoot: store);
        // gone:1 moved to a newer import: the older one is untagged.
        await sbuild.RunAsync(["image", "import", sbuild.BusyboxTar, "gone:1"], storeRoot: store, epoch: 5);
        var untagged = new ImageStore(store).Find(ImageReference.Parse("gone:1"))!.Manifest;
        await sbuild.RunAsync(["image", "import", sbuild.BusyboxTar, "gone:1"], storeRoot: store, epoch: 6);

        var images = new ImageStore(store);
        var busybox = Single(images, images.Find(ImageReference.Parse("busybox:latest"))!.Manifest.Digest);
        var gone = Single(images, images.Find(ImageReference.Parse("gone:1"))!.Manifest.Digest);
        var dangling = Single(images, untagged.Digest);
        var hostPlatform = Platform(images, multi.HostManifest) with { Name = $"linux/{TwoPlatformImage.HostArch}" };
        var otherPlatform = Platform(images, multi.OtherManifest, unpacked: false) with { Name = $"linux/{TwoPlatformImage.OtherArch}" };
        var multiTop = new Row("multi:1", hostPlatform.Id, hostPlatform.Disk + otherPlatform.Disk, hostPlatform.Content + otherPlatform.Content);
        Assert.Equal(multi.HostId, hostPlatform.Id.ToString());
        Assert.Equal(multi.OtherId, otherPlatform.Id.ToString());

        var blocks = new List<(Row Top, Row[] Platforms)>
        {
            (busybox with { Name = "busybox:latest" }, [busybox with { Name = $"└─ {busybox.Name}" }]),
            (gone with { Name = "gone:1" }, [gone with { Name = $"└─ {gone.Name}" }]),
            (multiTop, [hostPlatform with { Name = $"├─ {hostPlatform.Name}" }, otherPlatform with { Name = $"└─ {otherPlatform.Name}" }]),
        };
        var tree = await sbuild.RunAsync(["images", "--tree"], storeRoot: store);
        Assert.Equal(Table(blocks), tree.StandardOutput);
        Assert.Equal("", tree.StandardError);

        // -a adds the untagged image, last (docker 29 sorts by name, untagged at the end); image ls takes --tree too.
        blocks.Add((dangling with { Name = "<untagged>" }, [dangling with { Name = $"└─ {dangling.Name}" }]));
        Assert.Equal(Table(blocks), (await sbuild.RunAsync(["image", "ls", "--tree", "-a"], storeRoot: store)).StandardOutput);
        Assert.Equal(Table([blocks[2]]), (await sbuild.RunAsync(["images", "--tree", "--filter", "reference=multi"], storeRoot: store)).StandardOutput);
        Assert.Equal(Table([blocks[3]]), (await sbuild.RunAsync(["images", "--tree", "-f", "dangling=true"], storeRoot: store)).StandardOutput);
        Assert.Equal($"{Header,-5}   ID             DISK USAGE   CONTENT SIZE   EXTRA\n",
            (await sbuild.RunAsync(["images", "--tree", "nothing-by-this-name"], storeRoot: store)).StandardOutput);

        // docker's refusals (list.go, shouldUseTree), in its order.
        foreach (var (flags, refused) in new[] { (new[] { "-q", "--format", "x" }, "--quiet"), (["--no-trunc"], "--no-trunc"), (["--digests"], "--show-digest"), (["--format", "{{.ID}}"], "--format") })
        {
            var refusal = await sbuild.RunAsync(["images", "--tree", .. flags], storeRoot: store, allowFailure: true);
            Assert.Equal(1, refusal.ExitCode);
            Assert.Contains($"{refused} is not yet supported with --tree", refusal.StandardError);
            Assert.Equal("", refusal.StandardOutput);
        }
    }

    /// <summary>One line of the table: the IMAGE cell, the image ID, DISK USAGE and CONTENT SIZE in bytes.</summary>
    private sealed record Row(string Name, Digest Id, long Disk, long Content);

    private static string Table(IReadOnlyList<(Row Top, Row[] Platforms)> blocks)
    {
        // The IMAGE column: its widest cell in bytes (Go's len; each box character is 3), at least "IMAGE".
        var width = blocks.SelectMany(b => b.Platforms.Prepend(b.Top)).Select(r => Encoding.UTF8.GetByteCount(r.Name)).Append(Header.Length).Max();
        string Line(Row row) =>
            $"{row.Name.PadRight(width)}   {row.Id.Encoded[..12]}   {DockerUnits.HumanSize(row.Disk, 3),10}   {DockerUnits.HumanSize(row.Content, 3),12}   {"",5}\n";
        var text = new StringBuilder($"{Header.PadRight(width)}   ID             DISK USAGE   CONTENT SIZE   EXTRA\n");
        foreach (var (top, platforms) in blocks)
        {
            text.Append(Line(top));
            foreach (var platform in platforms) text.Append(Line(platform));
            text.Append('\n');
        }
        return text.ToString();
    }

    /// <summary>A single-platform image's row: its platform (from the config) as the name, its sizes as the host's.</summary>
    private static Row Single(ImageStore images, Digest manifest) => Platform(images, manifest);

    /// <summary>
    /// A platform's row from the store's files: the config digest as ID, content = manifest + config + layers (bytes on
    /// disk), disk usage = content + the unpacked size when it is the host's image. Name: os/arch from the config.
    /// </summary>
    private static Row Platform(ImageStore images, Digest manifest, bool unpacked = true)
    {
        var parsed = images.ReadManifest(manifest);
        long Size(Digest d) => new FileInfo(images.Content.PathOf(d)).Length;
        var content = Size(manifest) + Size(parsed.Config.Digest) + parsed.Layers.Sum(l => Size(l.Digest));
        using var config = JsonDocument.Parse(File.ReadAllBytes(images.Content.PathOf(parsed.Config.Digest)));
        var name = $"{config.RootElement.GetProperty("os").GetString()}/{config.RootElement.GetProperty("architecture").GetString()}";
        var disk = content + (unpacked ? parsed.Layers.Sum(l => UnpackedSize(images.Content.PathOf(l.Digest), l.MediaType)) : 0);
        return new Row(name, parsed.Config.Digest, disk, content);
    }

    /// <summary>moby's directory.Size of a layer unpacked by overlay2: regular files' sizes and symlinks' target lengths
    /// (a hard link adds nothing, nor do directories and whiteouts), read from the layer tar with .NET's tar reader.</summary>
    private static long UnpackedSize(string path, string mediaType)
    {
        using var file = File.OpenRead(path);
        using Stream tar = mediaType.EndsWith("gzip", StringComparison.Ordinal) ? new GZipStream(file, CompressionMode.Decompress)
            : mediaType.EndsWith(".tar", StringComparison.Ordinal) ? file : throw new InvalidOperationException($"layer type {mediaType}: not read here");
        using var reader = new TarReader(tar);
        long total = 0;
        while (reader.GetNextEntry() is { } entry)
        {
            if (entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile) total += entry.Length;
            else if (entry.EntryType == TarEntryType.SymbolicLink) total += Encoding.UTF8.GetByteCount(entry.LinkName);
        }
        return total;
    }
}

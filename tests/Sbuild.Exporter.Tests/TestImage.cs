using System.Formats.Tar;
using Sbuild.Core;
using Sbuild.TestSupport;

namespace Sbuild.Exporter.Tests;

/// <summary>
/// A small two-layer image written by hand into a temp content store: layer 1 has a static busybox (so a container
/// can really run it) and /etc/hello.txt, layer 2 adds /app/message.txt; the config has Env, Cmd, WorkingDir, history.
/// </summary>
internal sealed class TestImage
{
    public const string Hello = "hello from layer one\n";
    public const string Message = "layer two says hi\n";
    public static readonly DateTimeOffset Created = new(2024, 1, 2, 3, 4, 5, TimeSpan.Zero);

    public required FileContentStore Store { get; init; }
    public required IReadOnlyList<byte[]> LayerTars { get; init; }
    public required IReadOnlyList<LayerBlob> Layers { get; init; }
    public required ImageConfig Config { get; init; }
    public required WrittenImage Image { get; init; }

    public ExportImage ToExport(params string[] names) =>
        new(Image.Manifest, names.Select(ImageReference.Parse).ToList(), Store);

    public static TestImage Build(string storeRoot, LayerCompression compression = LayerCompression.Gzip)
    {
        var busybox = Tools.StaticBusybox;
        var store = new FileContentStore(storeRoot);
        byte[][] tars =
        [
            LayerTar(
                Directory("bin/"),
                File("bin/busybox", System.IO.File.ReadAllBytes(busybox), 0b111_101_101),
                Symlink("bin/cat", "busybox"),
                Directory("etc/"),
                File("etc/hello.txt", System.Text.Encoding.UTF8.GetBytes(Hello), 0b110_100_100)),
            LayerTar(
                Directory("app/"),
                File("app/message.txt", System.Text.Encoding.UTF8.GetBytes(Message), 0b110_000_000)),
        ];
        var layers = tars.Select(tar => WriteLayer(store, tar, compression)).ToList();
        var config = new ImageConfig
        {
            Created = Created,
            Architecture = Platform.Host.Architecture,
            Os = "linux",
            Config = new ContainerConfig
            {
                Env = ["PATH=/bin", "GREETING=hi"],
                Cmd = ["/bin/busybox", "cat", "/etc/hello.txt"],
                WorkingDir = "/app",
                Labels = new SortedDictionary<string, string> { ["org.example.test"] = "exporter" },
            },
            RootFs = new RootFs { DiffIds = layers.Select(l => l.DiffId).ToList() },
            History =
            [
                new HistoryEntry { Created = Created, CreatedBy = "COPY busybox hello.txt /" },
                new HistoryEntry { Created = Created, CreatedBy = "ENV GREETING=hi", EmptyLayer = true },
                new HistoryEntry { Created = Created, CreatedBy = "COPY message.txt /app/" },
            ],
        };
        var image = new ImageWriter(store).Write(config, layers.Select(l => l.Blob).ToList());
        return new TestImage { Store = store, LayerTars = tars, Layers = layers, Config = config, Image = image };
    }

    public static LayerBlob WriteLayer(IContentStore store, byte[] tar, LayerCompression compression = LayerCompression.Gzip)
    {
        using var writer = new LayerBlobWriter(store, compression);
        writer.Stream.Write(tar);
        return writer.Commit();
    }

    public static byte[] LayerTar(params TarEntry[] entries)
    {
        var buffer = new MemoryStream();
        using (var tar = new TarWriter(buffer, leaveOpen: true))
            foreach (var entry in entries) tar.WriteEntry(entry);
        return buffer.ToArray();
    }

    public static TarEntry Directory(string name) => Stamp(new PaxTarEntry(TarEntryType.Directory, name), 0b111_101_101);

    public static TarEntry File(string name, byte[] content, int mode)
    {
        var entry = Stamp(new PaxTarEntry(TarEntryType.RegularFile, name), mode);
        entry.DataStream = new MemoryStream(content);
        return entry;
    }

    public static TarEntry Symlink(string name, string target)
    {
        var entry = Stamp(new PaxTarEntry(TarEntryType.SymbolicLink, name), 0b111_111_111);
        entry.LinkName = target;
        return entry;
    }

    private static TarEntry Stamp(PaxTarEntry entry, int mode)
    {
        entry.Mode = (UnixFileMode)mode;
        entry.ModificationTime = Created;
        return entry;
    }
}

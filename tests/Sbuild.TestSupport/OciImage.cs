using System.IO.Compression;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sbuild.Core;

namespace Sbuild.TestSupport;

/// <summary>
/// One image of an OCI archive (an <c>--output type=oci</c> tarball), read the same way whoever built it: its
/// manifest, its config blob exactly as written, and its root file system unpacked by umoci (an independent tool that
/// applies the layers in order with whiteouts, owners, modes, hard links and mtimes). Comparing two of these compares
/// the images, not the builders' ways of storing them. Dispose deletes the unpacked files.
/// </summary>
public sealed class OciImage : IDisposable
{
    private readonly TempDirectory _work;
    private readonly string _layout;

    private OciImage(TempDirectory work, string layout, ImageManifest manifest, string configJson)
    {
        _work = work;
        _layout = layout;
        Manifest = manifest;
        ConfigJson = configJson;
        Config = JsonSerializer.Deserialize(configJson, OciJsonContext.Canonical.ImageConfig)
            ?? throw new InvalidDataException("the image config is JSON null");
    }

    public ImageManifest Manifest { get; }
    /// <summary>The config blob as the builder wrote it (the whole comparison works on this, not on a typed record).</summary>
    public string ConfigJson { get; }
    public ImageConfig Config { get; }
    /// <summary>The image ID: the digest of the config blob.</summary>
    public Digest ImageId => Manifest.Config.Digest;
    public string RootfsDir => Path.Combine(_work.Path, "bundle", "rootfs");

    /// <summary>
    /// Unpacks the OCI archive <paramref name="archive"/>, which must hold exactly one image, into a new temporary
    /// directory. Every blob is checked against its digest.
    /// </summary>
    public static Task<OciImage> ReadArchiveAsync(string archive, CancellationToken ct) => ReadArchiveAsync(archive, null, ct);

    /// <summary>
    /// Like <see cref="ReadArchiveAsync(string, CancellationToken)"/>; when <paramref name="platform"/> (<c>os/arch[/variant]</c>)
    /// is given, the archive's one entry is an image index and the image is its manifest for that platform.
    /// </summary>
    public static async Task<OciImage> ReadArchiveAsync(string archive, string? platform, CancellationToken ct)
    {
        var work = new TempDirectory("sbuild-oci-image-");
        try
        {
            var layout = work.Combine("layout");
            Directory.CreateDirectory(layout);
            await ProcessRunner.RunAsync(Tools.Tar, ["-xf", archive, "-C", layout], ct);
            var index = JsonNode.Parse(File.ReadAllText(Path.Combine(layout, "index.json")))!["manifests"]!.AsArray();
            if (index.Count != 1) throw new InvalidDataException($"{archive} holds {index.Count} manifests, not one");
            var manifestDigest = Digest.Parse(index[0]!["digest"]!.GetValue<string>());
            var refName = index[0]!["annotations"]?[ImageStore.RefNameAnnotation]?.GetValue<string>()
                ?? throw new InvalidDataException($"the manifest of {archive} has no {ImageStore.RefNameAnnotation} annotation");
            if (platform is not null)
            {
                var children = JsonSerializer.Deserialize(ReadBlob(layout, manifestDigest), OciJsonContext.Canonical.ImageIndex)!.Manifests;
                var chosen = children.SingleOrDefault(m => m.Platform?.ToString() == platform)
                    ?? throw new InvalidDataException($"the image index of {archive} has no manifest for {platform} (it has {string.Join(", ", children.Select(m => m.Platform))})");
                manifestDigest = chosen.Digest;
                // umoci unpacks a manifest named in index.json: name the chosen one there (this is the test's own copy).
                refName = platform.Replace('/', '_');
                File.WriteAllBytes(Path.Combine(layout, "index.json"), JsonSerializer.SerializeToUtf8Bytes(new ImageIndex
                {
                    Manifests = [chosen with { Platform = null, Annotations = new SortedDictionary<string, string> { [ImageStore.RefNameAnnotation] = refName } }],
                }, OciJsonContext.Canonical.ImageIndex));
            }
            var manifest = JsonSerializer.Deserialize(ReadBlob(layout, manifestDigest), OciJsonContext.Canonical.ImageManifest)!;
            var config = Encoding.UTF8.GetString(ReadBlob(layout, manifest.Config.Digest));
            foreach (var layer in manifest.Layers) VerifyBlob(layout, layer.Digest);

            // umoci keeps the owners as recorded (it runs as root) and restores every mtime, directories' included.
            await ProcessRunner.RunAsync(Tools.Umoci, ["unpack", "--image", $"{layout}:{refName}", work.Combine("bundle")], ct);
            return new OciImage(work, layout, manifest, config);
        }
        catch
        {
            work.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Where <paramref name="text"/> occurs in the image: the manifest, the config, or a layer (searched uncompressed,
    /// so file contents, names, link targets and tar headers all count). Empty when it is nowhere.
    /// </summary>
    public IReadOnlyList<string> FindText(string text)
    {
        var needle = Encoding.UTF8.GetBytes(text);
        var found = new List<string>();
        if (ReadBlob(_layout, ImageId).AsSpan().IndexOf(needle) >= 0) found.Add("config");
        for (var i = 0; i < Manifest.Layers.Count; i++)
            if (LayerTar(i).AsSpan().IndexOf(needle) >= 0) found.Add($"layer {i} ({Manifest.Layers[i].Digest})");
        return found;
    }

    /// <summary>Layer <paramref name="index"/>'s tar, uncompressed.</summary>
    public byte[] LayerTar(int index)
    {
        var layer = Manifest.Layers[index];
        using var blob = File.OpenRead(BlobPath(_layout, layer.Digest));
        using var tar = new MemoryStream();
        if (layer.MediaType.EndsWith("+gzip", StringComparison.Ordinal))
            new GZipStream(blob, CompressionMode.Decompress).CopyTo(tar);
        else if (layer.MediaType.EndsWith(".tar", StringComparison.Ordinal))
            blob.CopyTo(tar);
        else
            throw new NotSupportedException($"layer {index} is {layer.MediaType}; only plain and gzip layers are read");
        return tar.ToArray();
    }

    public void Dispose() => _work.Dispose();

    private static string BlobPath(string layout, Digest digest) => Path.Combine(layout, "blobs", digest.Algorithm, digest.Encoded);

    private static byte[] ReadBlob(string layout, Digest digest)
    {
        var bytes = File.ReadAllBytes(BlobPath(layout, digest));
        return Digest.Of(bytes) == digest ? bytes : throw new InvalidDataException($"blob {digest} does not match its digest");
    }

    private static void VerifyBlob(string layout, Digest digest)
    {
        using var stream = File.OpenRead(BlobPath(layout, digest));
        if (Digest.Of(stream) != digest) throw new InvalidDataException($"blob {digest} does not match its digest");
    }
}

using System.Globalization;
using System.Text;
using Sbuild.Archive.Compression;
using Sbuild.Archive.Tar;
using Sbuild.Core;

namespace Sbuild.Cli.Images;

/// <summary>
/// A layer's size as docker counts it: what the unpacked layer occupies in overlay2's diff directory by moby's
/// <c>directory.Size</c> — the sizes of every entry but directories, a symlink counting its target's length, the names of
/// a hard-link group once, whiteouts (0/0 devices) nothing. That is not the tar's length, so each layer is read once and
/// its size kept in <c>cache/layer-sizes/HEX</c> (the blob digest's hex; recomputable, so a lost file costs a re-read).
/// </summary>
public sealed class LayerSizes(ImageStore store)
{
    private readonly Dictionary<Digest, long> _known = [];
    private string CacheDirectory => Path.Combine(store.Root, "cache", "layer-sizes");

    public long Of(Digest blob)
    {
        if (_known.TryGetValue(blob, out var known)) return known;
        var cached = Path.Combine(CacheDirectory, blob.Encoded);
        if (File.Exists(cached) && long.TryParse(File.ReadAllText(cached), NumberStyles.None, CultureInfo.InvariantCulture, out var size))
            return _known[blob] = size;
        size = Measure(blob);
        Directory.CreateDirectory(CacheDirectory);
        AtomicFile.WriteAllBytes(cached, Encoding.ASCII.GetBytes(size.ToString(CultureInfo.InvariantCulture)));
        return _known[blob] = size;
    }

    /// <summary>Drops the kept sizes of blobs that are gone (after rmi / image prune).</summary>
    public void ForgetRemovedBlobs()
    {
        if (!Directory.Exists(CacheDirectory)) return;
        foreach (var file in Directory.EnumerateFiles(CacheDirectory))
            if (Digest.TryParse($"{Digest.Sha256}:{Path.GetFileName(file)}", out var blob) && !store.Content.Exists(blob))
                File.Delete(file);
    }

    private long Measure(Digest blob)
    {
        using var file = store.Content.OpenRead(blob);
        using var data = Decompression.OpenAsync(file, CancellationToken.None).GetAwaiter().GetResult();
        var reader = new TarArchiveReader(data, blob.ToString());
        // The last entry for a path wins, as when the layer is unpacked.
        var sizes = new Dictionary<string, long>(StringComparer.Ordinal);
        while (reader.ReadNextAsync(CancellationToken.None).GetAwaiter().GetResult() is { } entry)
        {
            var path = (entry.Name.StartsWith("./", StringComparison.Ordinal) ? entry.Name[2..] : entry.Name).Trim('/');
            sizes[path] = entry.Kind switch
            {
                TarEntryKind.File => entry.Size,
                TarEntryKind.Symlink => Encoding.UTF8.GetByteCount(entry.LinkName),
                _ => 0, // directories, devices, FIFOs, whiteouts; a hard link shares its target's inode, counted there
            };
        }
        return sizes.Values.Sum();
    }
}

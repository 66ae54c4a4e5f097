using System.Text.Json;

namespace Sbuild.Core;

/// <summary>One named image in the local store.</summary>
public sealed record StoredImage(string Name, Descriptor Manifest);

/// <summary>
/// An entry of <c>index.json</c>: a named image, or (<see cref="Name"/> null) a dangling one, docker's
/// <c>&lt;none&gt;:&lt;none&gt;</c>: the result of a build without a name, or an image whose last name moved to another.
/// </summary>
public sealed record StoreEntry(string? Name, Descriptor Manifest);

/// <summary>
/// The local image store: a content store plus <c>index.json</c> mapping names to manifests. The directory is a valid
/// OCI image layout, so tools like <c>skopeo inspect oci:ROOT:NAME</c> can read it. Index updates are atomic and
/// serialized across processes by a lock file.
/// </summary>
public sealed class ImageStore
{
    public const string RefNameAnnotation = "org.opencontainers.image.ref.name";
    private readonly string _indexPath;
    private readonly string _lockPath;

    public ImageStore(string root)
    {
        Root = root;
        RefuseWhatIsNoStore(root);
        Directory.CreateDirectory(root);
        Content = new FileContentStore(root, () => StoreLeases.Tag(root));
        _indexPath = Path.Combine(root, "index.json");
        _lockPath = Path.Combine(root, "index.lock");
        var layoutPath = Path.Combine(root, "oci-layout");
        if (!File.Exists(layoutPath))
            AtomicFile.WriteAllBytes(layoutPath, JsonSerializer.SerializeToUtf8Bytes(new OciLayoutFile(), OciJsonContext.Canonical.OciLayoutFile));
    }

    /// <summary>
    /// A store is made in a missing or empty directory, or opened where one is (its <c>oci-layout</c>); a file, or a
    /// directory holding other things, is refused before anything is written into it.
    /// </summary>
    private static void RefuseWhatIsNoStore(string root)
    {
        const string hint = "(the store directory comes from --root or $SBUILD_ROOT)";
        if (File.Exists(root))
            throw new SbuildException(ErrorCode.InvalidOption, $"{root} is a file, not a store directory {hint}");
        if (Directory.Exists(root) && !File.Exists(Path.Combine(root, "oci-layout")) && Directory.EnumerateFileSystemEntries(root).Any())
            throw new SbuildException(ErrorCode.InvalidOption, $"{root} is not an sbuild store (it has no oci-layout file) and is not empty: refusing to write into it {hint}");
    }

    public string Root { get; }
    public FileContentStore Content { get; }

    public IReadOnlyList<StoredImage> List() =>
        ReadIndex().Manifests
            .Where(d => d.Annotations?.ContainsKey(RefNameAnnotation) == true)
            .Select(d => new StoredImage(d.Annotations![RefNameAnnotation], d))
            .ToList();

    /// <summary>Every entry of the index, named and dangling (an entry without the ref-name annotation), in index order.</summary>
    public IReadOnlyList<StoreEntry> Entries() =>
        ReadIndex().Manifests.Select(d => new StoreEntry(d.Annotations?.GetValueOrDefault(RefNameAnnotation), d)).ToList();

    public StoredImage? Find(ImageReference reference)
    {
        var name = reference.ToString();
        return List().FirstOrDefault(i => i.Name == name);
    }

    /// <summary>Points <paramref name="reference"/> at <paramref name="manifest"/>, replacing an earlier image of that name.</summary>
    public void Tag(ImageReference reference, Descriptor manifest)
    {
        var name = reference.ToString();
        using var _ = AcquireLock();
        var index = ReadIndex();
        // A rebuild that gives the same image leaves index.json as it is (no rewrite, no fsync).
        if (index.Manifests.Any(d => d.Annotations?.GetValueOrDefault(RefNameAnnotation) == name && d.Digest == manifest.Digest && d.MediaType == manifest.MediaType))
            return;
        var manifests = index.Manifests.Where(d => d.Annotations?.GetValueOrDefault(RefNameAnnotation) != name
                                                   && !(NameOf(d) is null && d.Digest == manifest.Digest)).ToList();
        manifests.Add(manifest with { Annotations = new SortedDictionary<string, string> { [RefNameAnnotation] = name } });
        // The image the name leaves stays, dangling, unless another name still holds it (docker's rule for a moved tag).
        if (index.Manifests.FirstOrDefault(d => NameOf(d) == name) is { } previous && previous.Digest != manifest.Digest
            && !manifests.Any(d => d.Digest == previous.Digest))
            manifests.Add(previous with { Annotations = null });
        WriteIndex(manifests);
    }

    /// <summary>
    /// Keeps <paramref name="manifest"/> as a dangling image (a build without a name) unless an entry already holds it.
    /// </summary>
    public void KeepUnnamed(Descriptor manifest)
    {
        using var _ = AcquireLock();
        var index = ReadIndex();
        if (index.Manifests.Any(d => d.Digest == manifest.Digest)) return;
        WriteIndex([.. index.Manifests, manifest with { Annotations = null }]);
    }

    /// <summary>
    /// Removes the entries <paramref name="remove"/> selects, under the index lock, and returns them. Blobs stay: what
    /// no entry references any more is collected by the caller, which holds the store lock exclusively.
    /// </summary>
    public IReadOnlyList<StoreEntry> RemoveEntries(Func<StoreEntry, bool> remove)
    {
        using var _ = AcquireLock();
        var index = ReadIndex();
        var removed = new List<StoreEntry>();
        var kept = new List<Descriptor>();
        foreach (var descriptor in index.Manifests)
        {
            var entry = new StoreEntry(NameOf(descriptor), descriptor);
            if (remove(entry)) removed.Add(entry);
            else kept.Add(descriptor);
        }
        if (removed.Count > 0) WriteIndex(kept);
        return removed;
    }

    private static string? NameOf(Descriptor descriptor) => descriptor.Annotations?.GetValueOrDefault(RefNameAnnotation);

    /// <summary>Named entries sorted by name, then dangling ones by digest: the same set always gives the same bytes.</summary>
    private void WriteIndex(List<Descriptor> manifests)
    {
        manifests.Sort((a, b) => (NameOf(a), NameOf(b)) switch
        {
            (null, null) => string.CompareOrdinal(a.Digest.ToString(), b.Digest.ToString()),
            (null, _) => 1,
            (_, null) => -1,
            var (x, y) => string.CompareOrdinal(x, y),
        });
        AtomicFile.WriteAllBytes(_indexPath, JsonSerializer.SerializeToUtf8Bytes(new ImageIndex { Manifests = manifests }, OciJsonContext.Canonical.ImageIndex));
    }

    public ImageManifest ReadManifest(Digest digest) => Content.ReadJson(digest, OciJsonContext.Canonical.ImageManifest);

    public ImageConfig ReadConfig(Digest digest) => Content.ReadJson(digest, OciJsonContext.Canonical.ImageConfig);

    private ImageIndex ReadIndex()
    {
        if (!File.Exists(_indexPath)) return new ImageIndex { Manifests = [] };
        try
        {
            using var stream = File.OpenRead(_indexPath);
            return JsonSerializer.Deserialize(stream, OciJsonContext.Canonical.ImageIndex) ?? new ImageIndex { Manifests = [] };
        }
        catch (JsonException e)
        {
            throw new SbuildException(ErrorCode.StoreCorrupt, $"{_indexPath} is not a valid OCI index: {e.Message}");
        }
    }

    private IDisposable AcquireLock() => FileLock.Acquire(_lockPath, TimeSpan.FromSeconds(30));
}

using Sbuild.Core;
using Sbuild.Core.Metadata;
using Sbuild.Engine.Cache;

namespace Sbuild.Cli.Images;

/// <summary>One line of what rmi / image prune did: a name removed, or an image or layer deleted.</summary>
public sealed record RemovalRecord(string? Untagged, string? Deleted);

/// <summary>
/// dockerd 20.10's ImageDelete on the store: untag a name; when an image's last name goes (or it is removed by ID), its
/// index entries go, and then every blob that no remaining image and no build-cache record references
/// (<see cref="BuildCache.RemoveUnreferencedBlobs"/>, the rule <c>sbuild prune</c> uses). The "Deleted:" lines name
/// the image ID and the layers (chain IDs) no other image shares, as docker's layer store reports them.
/// <para>Callers hold the store lock exclusively, so no build is between resolving a base image and referencing it.</para>
/// </summary>
public sealed class ImageRemoval(ImageStore store)
{
    /// <summary>What was removed, and the bytes the deleted layers held (docker's "reclaimed space").</summary>
    public long Reclaimed { get; private set; }

    public IReadOnlyList<RemovalRecord> Remove(string nameOrId, bool force)
    {
        var catalog = ImageCatalog.Load(store);
        var image = catalog.Get(nameOrId);
        var names = image.Entries.Select(e => e.Name).OfType<string>().ToList();
        var records = new List<RemovalRecord>();
        if (!IsIdPrefix(image.Id, nameOrId))
        {
            // A name was given: it goes; the image stays while it has other names. A repository's names by digest go
            // with its last tag, as in docker.
            var reference = ImageReference.Parse(nameOrId);
            var untag = names.Where(n => n == reference.ToString()
                                         || reference.Digest is { } d && Repository(n) == reference.Repository
                                         && image.Entries.Any(e => e.Name == n && e.Manifest.Digest == d)).ToList();
            if (reference.Digest is null && !names.Except(untag).Any(n => IsTag(n) && Repository(n) == reference.Repository))
                untag.AddRange(names.Except(untag).Where(n => !IsTag(n) && Repository(n) == reference.Repository));
            var remaining = names.Except(untag).ToList();
            Untag(image, untag, remaining, records);
            if (remaining.Count > 0) return records;
        }
        else
        {
            // By ID: an image with one tag (in one repository) loses it; one with more names only with -f.
            var single = names.Count(IsTag) <= 1 && names.Select(Repository).Distinct().Count() <= 1;
            if (!single && !force)
                throw new SbuildException(ErrorCode.InvalidOption,
                    $"conflict: unable to delete {image.Id.Short} (must be forced) - image is referenced in multiple repositories");
            Untag(image, names, [], records);
        }
        store.RemoveEntries(e => image.Entries.Any(i => i.Manifest.Digest == e.Manifest.Digest));
        records.Add(new RemovalRecord(null, image.Id.ToString()));
        DeletedLayers(catalog, image, records);
        return records;
    }

    /// <summary>Removes blobs nothing references any more; call once after the removals.</summary>
    public void CollectBlobs()
    {
        using var database = StoreDatabase.Open(store.Root);
        new BuildCache(store, database).RemoveUnreferencedBlobs();
        new LayerSizes(store).ForgetRemovedBlobs();
    }

    /// <summary>
    /// Removes the entries named <paramref name="untag"/>. A tag whose repository keeps no tag also gives up the
    /// repo@digest name the store shows for it (its manifest digest), which docker lists as a second "Untagged:" line.
    /// </summary>
    private void Untag(LocalImage image, IReadOnlyList<string> untag, IReadOnlyList<string> remaining, List<RemovalRecord> records)
    {
        if (untag.Count == 0) return;
        var set = untag.ToHashSet(StringComparer.Ordinal);
        store.RemoveEntries(e => e.Name is not null && set.Contains(e.Name));
        foreach (var name in untag)
        {
            records.Add(new RemovalRecord(name, null));
            if (!IsTag(name) || remaining.Any(n => IsTag(n) && Repository(n) == Repository(name))) continue;
            var shown = $"{Repository(name)}@{image.Entries.First(e => e.Name == name).Manifest.Digest}";
            if (!set.Contains(shown) && !records.Any(r => r.Untagged == shown)) records.Add(new RemovalRecord(shown, null));
        }
    }

    private static bool IsTag(string name) => !name.Contains('@');
    private static string Repository(string name) => ImageReference.Parse(name).Repository;

    /// <summary>docker's isImageIDPrefix: the argument is a prefix of the ID, with or without "sha256:".</summary>
    private static bool IsIdPrefix(Digest id, string nameOrId) =>
        id.ToString().StartsWith(nameOrId, StringComparison.Ordinal) || id.Encoded.StartsWith(nameOrId, StringComparison.Ordinal);

    /// <summary>The image's layer chain from the top down to the first layer another image still uses (docker's releaseLayer).</summary>
    private void DeletedLayers(ImageCatalog catalog, LocalImage image, List<RemovalRecord> records)
    {
        var chains = ChainIds.Of(image);
        var used = catalog.Images.Where(i => i.Id != image.Id).SelectMany(ChainIds.Of).ToHashSet(StringComparer.Ordinal);
        var sizes = new LayerSizes(store);
        for (var i = chains.Count - 1; i >= 0 && !used.Contains(chains[i]); i--)
        {
            records.Add(new RemovalRecord(null, chains[i]));
            Reclaimed += sizes.Of(image.LayerBlobs[i]);
        }
    }
}

/// <summary>docker's layer chain IDs of an image: the first layer's diff ID, then sha256("PARENT-CHAIN DIFF-ID") up the stack.</summary>
public static class ChainIds
{
    public static IReadOnlyList<string> Of(LocalImage image)
    {
        var chains = new List<string>();
        if (!image.Config.TryGetProperty("rootfs", out var rootfs) || !rootfs.TryGetProperty("diff_ids", out var diffIds)) return chains;
        foreach (var diffId in diffIds.EnumerateArray().Select(d => d.GetString()!))
            chains.Add(chains.Count == 0 ? diffId : Digest.Of(System.Text.Encoding.UTF8.GetBytes(chains[^1] + " " + diffId)).ToString());
        return chains;
    }
}

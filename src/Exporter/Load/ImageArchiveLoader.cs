using System.Text.Json;
using System.Text.RegularExpressions;
using Sbuild.Archive.Compression;
using Sbuild.Core;

namespace Sbuild.Exporter;

/// <summary>An image <c>sbuild load</c> put into the store, with the names it was given (docker's short form).</summary>
public sealed record LoadedImage(Digest ImageId, Descriptor Manifest, IReadOnlyList<ImageReference> Names);

/// <summary>
/// <c>sbuild load</c>: a docker-archive (<c>docker save</c>, either layout) or an OCI image layout tar, plain or
/// compressed. Everything is checked before the store is touched: each blob against the digest its name or descriptor
/// gives, each layer's content against the config's diff_id, and every blob a manifest names must be there. Blobs are
/// then committed and the names written last, so a bad archive leaves the store as it was.
/// </summary>
public static partial class ImageArchiveLoader
{
    public static async Task<IReadOnlyList<LoadedImage>> LoadAsync(ImageStore store, Stream input, string source, string scratchRoot, CancellationToken cancellationToken)
    {
        using var staged = await StagedArchive.UnpackAsync(input, source, scratchRoot, cancellationToken).ConfigureAwait(false);
        var plans = staged.Has("manifest.json") ? await DockerPlansAsync(staged, cancellationToken).ConfigureAwait(false)
            : staged.Has("index.json") ? OciPlans(staged)
            : throw staged.Invalid("it has neither manifest.json (docker save) nor index.json (an OCI image layout)");
        var loaded = new List<LoadedImage>();
        foreach (var plan in plans) loaded.Add(await plan.CommitAsync(store.Content, staged, cancellationToken).ConfigureAwait(false));
        foreach (var image in loaded)
            foreach (var name in image.Names) store.Tag(name, image.Manifest);
        return loaded;
    }

    private static async Task<List<ImagePlan>> DockerPlansAsync(StagedArchive staged, CancellationToken cancellationToken)
    {
        var entries = Json(staged, "manifest.json", "manifest.json", OciJsonContext.Canonical.ListDockerArchiveEntry);
        if (entries.Count == 0) throw staged.Invalid("manifest.json lists no image");
        var plans = new List<ImagePlan>();
        foreach (var entry in entries)
        {
            var configBytes = staged.ReadAll(entry.Config, "config");
            var configDigest = Digest.Of(configBytes);
            CheckNamedDigest(staged, entry.Config, configDigest);
            var config = Parse(staged, entry.Config, configBytes, OciJsonContext.Canonical.ImageConfig);
            if (config.RootFs.DiffIds.Count != entry.Layers.Count)
                throw staged.Invalid($"config {entry.Config} lists {config.RootFs.DiffIds.Count} diff_ids but manifest.json {entry.Layers.Count} layers");
            var layers = new List<PlannedLayer>();
            for (var i = 0; i < entry.Layers.Count; i++)
            {
                var name = entry.Layers[i];
                var (digest, size) = staged.Stat(name, "layer");
                CheckNamedDigest(staged, name, digest);
                ArchiveCompression compression;
                Digest diffId;
                await using (var file = staged.Open(name, "layer"))
                {
                    compression = Decompression.Detect(file);
                    await using var tar = Decompression.Open(file, compression);
                    diffId = await DigestOfAsync(staged, name, tar, cancellationToken).ConfigureAwait(false);
                }
                if (diffId != config.RootFs.DiffIds[i])
                    throw staged.Invalid($"layer {name} has diff_id {diffId} but config {entry.Config} lists {config.RootFs.DiffIds[i]}");
                layers.Add(new PlannedLayer(name, diffId, compression switch
                {
                    ArchiveCompression.Gzip => new Descriptor { MediaType = MediaTypes.OciLayerGzip, Digest = digest, Size = size },
                    ArchiveCompression.Zstd => new Descriptor { MediaType = MediaTypes.OciLayerZstd, Digest = digest, Size = size },
                    _ => null, // stored gzip-compressed, as sbuild stores the layers it builds
                }));
            }
            var names = (entry.RepoTags ?? []).Select(tag => ImageReference.TryParse(tag, out var r) ? r : throw staged.Invalid($"manifest.json names the image \"{tag}\", which is not a valid image name")).ToList();
            plans.Add(new ImagePlan(configBytes, configDigest, layers, [], null, names));
        }
        return plans;
    }

    private static List<ImagePlan> OciPlans(StagedArchive staged)
    {
        var index = Json(staged, "index.json", "index.json", OciJsonContext.Canonical.ImageIndex);
        if (index.Manifests.Count == 0) throw staged.Invalid("index.json lists no image");
        var plans = new List<ImagePlan>();
        foreach (var group in index.Manifests.GroupBy(m => m.Digest))
        {
            var root = group.First();
            var manifestDescriptor = root;
            var blobs = new List<Descriptor>();
            Descriptor? keptIndex = null;
            if (MediaTypes.IsIndex(root.MediaType))
            {
                var nested = Json(staged, Checked(staged, root), "image index", OciJsonContext.Canonical.ImageIndex);
                var candidates = nested.Manifests.Where(m => MediaTypes.IsManifest(m.MediaType)).ToList();
                manifestDescriptor = candidates.FirstOrDefault(m => m.Platform is { } p && p.Os == Platform.Host.Os && p.Architecture == Platform.Host.Architecture)
                    ?? (candidates.Count == 1 ? candidates[0] : throw staged.Invalid($"image index {root.Digest} has no manifest for {Platform.Host}"));
                // A multi-platform image whose every manifest came with its blobs is kept whole, as the containerd image
                // store keeps it (`image inspect --platform` shows each); else only the host's image, as docker 20.10 does.
                if (nested.Manifests.Count > 1 && nested.Manifests.All(m => MediaTypes.IsManifest(m.MediaType) && IsComplete(staged, m)))
                {
                    keptIndex = root;
                    blobs.Add(root);
                    foreach (var other in nested.Manifests.Where(m => m.Digest != manifestDescriptor.Digest)) AddManifestBlobs(staged, other, blobs);
                }
            }
            else if (!MediaTypes.IsManifest(root.MediaType)) throw staged.Invalid($"index.json lists {root.Digest} of media type {root.MediaType}, which is no image");
            var manifest = AddManifestBlobs(staged, manifestDescriptor, blobs);
            var names = group.Select(d => d.Annotations?.GetValueOrDefault(ImageNames.ContainerdImageName))
                .OfType<string>().Select(n => ImageReference.TryParse(n, out var r) ? r : throw staged.Invalid($"index.json names an image \"{n}\", which is not a valid image name"))
                .Distinct().ToList();
            plans.Add(new ImagePlan([], manifest.Config.Digest, [], blobs.DistinctBy(b => b.Digest).ToList(), (keptIndex ?? manifestDescriptor) with { Annotations = null, Platform = null }, names));
        }
        return plans;
    }

    /// <summary>Adds a manifest's blob, its config and its layers to <paramref name="blobs"/>, each checked; returns the manifest.</summary>
    private static ImageManifest AddManifestBlobs(StagedArchive staged, Descriptor descriptor, List<Descriptor> blobs)
    {
        var manifest = Json(staged, Checked(staged, descriptor), "manifest", OciJsonContext.Canonical.ImageManifest);
        blobs.Add(descriptor);
        foreach (var blob in manifest.Layers.Prepend(manifest.Config))
        {
            Checked(staged, blob);
            blobs.Add(blob);
        }
        return manifest;
    }

    /// <summary>Whether the archive has a manifest's blob, its config and every layer (checked for real when added).</summary>
    private static bool IsComplete(StagedArchive staged, Descriptor descriptor)
    {
        if (!staged.Has(OciLayoutEntries.BlobPath(descriptor.Digest))) return false;
        var manifest = Json(staged, Checked(staged, descriptor), "manifest", OciJsonContext.Canonical.ImageManifest);
        return manifest.Layers.Prepend(manifest.Config).All(b => staged.Has(OciLayoutEntries.BlobPath(b.Digest)));
    }

    /// <summary>The member path of a descriptor's blob, after checking it is there with the digest and size it says.</summary>
    private static string Checked(StagedArchive staged, Descriptor descriptor)
    {
        var path = OciLayoutEntries.BlobPath(descriptor.Digest);
        if (!staged.Has(path)) throw staged.Invalid($"blob {descriptor.Digest} ({descriptor.MediaType}) is named by a manifest but missing from the archive");
        var (digest, size) = staged.Stat(path, "blob");
        if (digest != descriptor.Digest) throw staged.Invalid($"blob {path} has digest {digest}, not {descriptor.Digest}");
        if (size != descriptor.Size) throw staged.Invalid($"blob {descriptor.Digest} is {size} bytes but its descriptor says {descriptor.Size}");
        return path;
    }

    /// <summary>Members named by their digest (blobs/sha256/HEX, HEX.json) must have that digest.</summary>
    private static void CheckNamedDigest(StagedArchive staged, string name, Digest digest)
    {
        var match = DigestName().Match(name);
        if (match.Success && match.Groups[1].Value != digest.Encoded)
            throw staged.Invalid($"{name} has digest {digest}, not the one its name says");
    }

    private static async Task<Digest> DigestOfAsync(StagedArchive staged, string name, Stream content, CancellationToken cancellationToken)
    {
        try
        {
            using var sink = new HashingStream(Stream.Null);
            await content.CopyToAsync(sink, 1 << 20, cancellationToken).ConfigureAwait(false);
            return sink.GetDigest();
        }
        catch (Exception e) when (Decompression.IsCorruptInput(e) || e is EndOfStreamException or InvalidDataException)
        {
            throw staged.Invalid($"layer {name} is damaged ({e.Message})");
        }
    }

    private static T Json<T>(StagedArchive staged, string name, string what, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) =>
        Parse(staged, name, staged.ReadAll(name, what), type);

    private static T Parse<T>(StagedArchive staged, string name, byte[] bytes, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
    {
        try
        {
            return JsonSerializer.Deserialize(bytes, type) ?? throw staged.Invalid($"{name} is empty");
        }
        catch (JsonException e)
        {
            throw staged.Invalid($"{name} is not valid JSON of its kind ({e.Message})");
        }
    }

    [GeneratedRegex("(?:^|/)([0-9a-f]{64})(?:\\.json)?$")]
    private static partial Regex DigestName();

    /// <param name="Blob">The stored form when the member is kept byte for byte; null to store the plain tar gzip-compressed.</param>
    private sealed record PlannedLayer(string Member, Digest DiffId, Descriptor? Blob);

    /// <summary>What one image becomes in the store, all of it checked already.</summary>
    /// <param name="ConfigBytes">The config to store for a docker-archive image (an OCI layout's config is one of <paramref name="Blobs"/>).</param>
    private sealed record ImagePlan(byte[] ConfigBytes, Digest ConfigDigest, IReadOnlyList<PlannedLayer> Layers,
        IReadOnlyList<Descriptor> Blobs, Descriptor? Manifest, IReadOnlyList<ImageReference> Names)
    {
        public async Task<LoadedImage> CommitAsync(IContentStore store, StagedArchive staged, CancellationToken cancellationToken)
        {
            if (Manifest is { } manifest)
            {
                foreach (var blob in Blobs) await CopyAsync(store, staged, OciLayoutEntries.BlobPath(blob.Digest), blob, cancellationToken).ConfigureAwait(false);
                return new LoadedImage(ConfigDigest, manifest, Names);
            }
            var layers = new List<Descriptor>();
            foreach (var layer in Layers)
            {
                if (layer.Blob is { } keep)
                {
                    await CopyAsync(store, staged, layer.Member, keep, cancellationToken).ConfigureAwait(false);
                    layers.Add(keep);
                    continue;
                }
                await using var file = staged.Open(layer.Member, "layer");
                await using var tar = Decompression.Open(file, Decompression.Detect(file));
                using var writer = new LayerBlobWriter(store);
                await tar.CopyToAsync(writer.Stream, 1 << 20, cancellationToken).ConfigureAwait(false);
                layers.Add(writer.Commit().Blob);
            }
            var config = store.WriteBytes(ConfigBytes, MediaTypes.OciConfig);
            var written = store.WriteBytes(JsonSerializer.SerializeToUtf8Bytes(new ImageManifest { Config = config, Layers = layers }, OciJsonContext.Canonical.ImageManifest), MediaTypes.OciManifest);
            return new LoadedImage(ConfigDigest, written, Names);
        }

        private static async Task CopyAsync(IContentStore store, StagedArchive staged, string member, Descriptor blob, CancellationToken cancellationToken)
        {
            if (store.Exists(blob.Digest)) return;
            await using var source = staged.Open(member, "blob");
            using var writer = store.OpenWriter();
            await source.CopyToAsync(writer.Stream, 1 << 20, cancellationToken).ConfigureAwait(false);
            writer.Commit(blob.MediaType, blob.Digest);
        }
    }
}

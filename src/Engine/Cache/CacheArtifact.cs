using System.Text.Json.Serialization;
using Sbuild.Exporter;

namespace Sbuild.Engine.Cache;

/// <summary>
/// The exported build cache, an OCI artifact: an image manifest whose <c>artifactType</c> is <see cref="ArtifactType"/>,
/// whose config blob (<see cref="ConfigMediaType"/>) maps cache keys to the layers that reproduce each step's
/// filesystem, and whose layers are all those layers. Keys are the engine's (docs/architecture.md); the same
/// Dockerfile, context and base give the same keys on any machine.
/// </summary>
public static class CacheArtifact
{
    public const string ArtifactType = "application/vnd.sbuild.cache.v1";
    public const string ConfigMediaType = "application/vnd.sbuild.cache.config.v1+json";
    public const string Version = "sbuild.cache.v1";
}

/// <summary>The config blob of the cache artifact: the step records, and with <c>cache-mounts=true</c> the contents of
/// <c>RUN --mount=type=cache</c> directories (each also a layer of the manifest; null: none exported).</summary>
public sealed record CacheConfigFile(
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("records")] IReadOnlyList<CacheEntry> Records,
    [property: JsonPropertyName("cacheMounts")] IReadOnlyList<CacheMountArchive>? CacheMounts = null);

/// <summary>One step: its cache key, the layers (base first) of its filesystem, when its newest layer was made, what it was.</summary>
public sealed record CacheEntry(
    [property: JsonPropertyName("key")] string Key,
    [property: JsonPropertyName("layers")] IReadOnlyList<LayerBlob> Layers,
    [property: JsonPropertyName("created")] DateTimeOffset? Created,
    [property: JsonPropertyName("description")] string Description);

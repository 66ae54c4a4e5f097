using System.Text.Json.Serialization;
using Sbuild.Exporter;

namespace Sbuild.Engine;

/// <summary>
/// The result of every filesystem vertex: the committed snapshot holding the merged tree, the layers, base first, that
/// reproduce it, and when its newest layer was made. Persisted in the build cache, so a cached rebuild reports the same
/// time and so gives the same image ID, as BuildKit does.
/// </summary>
/// <remarks>
/// Layers without a snapshot are not unpacked yet (a base image, an imported cache hit): <see cref="SnapshotWorkspace"/>
/// unpacks them the first time a step or a view needs the files, so a build whose steps all hit the cache, or that only
/// exports layers, never unpacks them, like BuildKit's lazy refs. No snapshot and no layers is the empty rootfs.
/// </remarks>
public sealed record FsState(string? Snapshot, IReadOnlyList<LayerBlob> Layers, DateTimeOffset? Created = null)
{
    public static FsState Empty { get; } = new(null, []);

    /// <summary>Holds no file at all (<c>FROM scratch</c>).</summary>
    [JsonIgnore]
    public bool IsEmpty => Snapshot is null && Layers.Count == 0;
}

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(FsState))]
[JsonSerializable(typeof(Sbuild.Engine.Cache.CacheConfigFile))]
[JsonSerializable(typeof(Sbuild.Engine.Debugging.BuildLogIndex))]
[JsonSerializable(typeof(Sbuild.Engine.Debugging.KeptFailure))]
internal sealed partial class BuildJsonContext : JsonSerializerContext;

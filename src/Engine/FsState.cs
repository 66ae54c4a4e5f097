using System.Text.Json.Serialization;
using Sbuild.Exporter;

namespace Sbuild.Engine;

/// <summary>
/// The result of every filesystem vertex: the committed snapshot holding the merged tree (null for an empty
/// rootfs), the layers, base first, that reproduce it, and when its newest layer was made. Persisted in the build
/// cache, so a cached rebuild reports the same time and so gives the same image ID, as BuildKit does.
/// </summary>
public sealed record FsState(string? Snapshot, IReadOnlyList<LayerBlob> Layers, DateTimeOffset? Created = null)
{
    public static FsState Empty { get; } = new(null, []);
}

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(FsState))]
[JsonSerializable(typeof(Sbuild.Engine.Cache.CacheConfigFile))]
[JsonSerializable(typeof(Sbuild.Engine.Debugging.BuildLogIndex))]
[JsonSerializable(typeof(Sbuild.Engine.Debugging.KeptFailure))]
internal sealed partial class BuildJsonContext : JsonSerializerContext;

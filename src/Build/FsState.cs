using System.Text.Json.Serialization;
using Sbuild.Exporter;

namespace Sbuild.Build;

/// <summary>
/// The result of every filesystem vertex: the committed snapshot holding the merged tree (null for an empty
/// rootfs) and the layers, base first, that reproduce it. Persisted in the build cache.
/// </summary>
public sealed record FsState(string? Snapshot, IReadOnlyList<LayerBlob> Layers)
{
    public static FsState Empty { get; } = new(null, []);
}

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(FsState))]
[JsonSerializable(typeof(IReadOnlyList<string>))]
internal sealed partial class BuildJsonContext : JsonSerializerContext;

using System.Text.Json;
using Sbuild.Core;

namespace Sbuild.Registry;

/// <summary>Reads what kind of document a manifest is, and what it points to, without trusting a media type header.</summary>
public static class ManifestJson
{
    /// <summary>The document's own <c>mediaType</c>, else an index when it has <c>manifests</c>, else an OCI manifest.</summary>
    public static string MediaTypeOf(byte[] bytes)
    {
        var probe = Probe(bytes);
        return probe.MediaType is { Length: > 0 } type ? type : probe.Manifests is not null ? MediaTypes.OciIndex : MediaTypes.OciManifest;
    }

    /// <summary>The platform manifests an index lists.</summary>
    public static IReadOnlyList<Descriptor> Manifests(byte[] bytes) => Probe(bytes).Manifests ?? [];

    /// <summary>The config and layers an image manifest names; an error when it names none.</summary>
    public static (Descriptor Config, IReadOnlyList<Descriptor> Layers) Contents(byte[] bytes, string what)
    {
        var probe = Probe(bytes);
        if (probe.Config is null || probe.Layers is null)
            throw new SbuildException(ErrorCode.RegistryError, $"{what}: the manifest names no config or layers (schema 1 manifests are not supported)");
        return (probe.Config, probe.Layers);
    }

    private static ManifestProbe Probe(byte[] bytes)
    {
        try
        {
            return JsonSerializer.Deserialize(bytes, RegistryJsonContext.Default.ManifestProbe) ?? new ManifestProbe();
        }
        catch (JsonException e)
        {
            throw new SbuildException(ErrorCode.RegistryError, $"the registry sent a manifest that is not valid JSON: {e.Message}");
        }
    }
}

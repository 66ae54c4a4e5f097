using System.Text.Json;
using Sbuild.Engine;
using Sbuild.Core;

namespace Sbuild.Cli;

/// <summary>
/// The <c>--metadata-file</c> document: buildx's keys (<c>containerimage.digest</c>, <c>containerimage.config.digest</c>,
/// <c>containerimage.descriptor</c>, <c>image.name</c>) so CI scripts written for <c>docker buildx build</c> read it
/// unchanged, plus <c>containerimage.layers</c>, the layer descriptors golden-file tests pin, and <c>sbuild.build-id</c>, the build's record for
/// <c>sbuild cache why ID</c>. Keys are sorted, as Go
/// writes a map.
/// </summary>
public static class BuildMetadata
{
    /// <param name="layers">The image's layers; null for an image index (several platforms), which has no config or layers of its own.</param>
    public static byte[] Serialize(BuildResult result, IReadOnlyList<ImageReference> names, IReadOnlyList<Descriptor>? layers)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            if (layers is not null) json.WriteString("containerimage.config.digest", result.ImageId.ToString());
            json.WritePropertyName("containerimage.descriptor");
            WriteDescriptor(json, result.Manifest);
            json.WriteString("containerimage.digest", result.Manifest.Digest.ToString());
            if (layers is not null)
            {
                json.WriteStartArray("containerimage.layers");
                foreach (var layer in layers) WriteDescriptor(json, layer);
                json.WriteEndArray();
            }
            if (names.Count > 0) json.WriteString("image.name", string.Join(',', names.Select(n => n.FullName)));
            // A build in which every step came from the cache keeps no record, so it has no id to give.
            if (result.BuildId is not null) json.WriteString("sbuild.build-id", result.BuildId);
            json.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    private static void WriteDescriptor(Utf8JsonWriter json, Descriptor descriptor)
    {
        json.WriteStartObject();
        json.WriteString("digest", descriptor.Digest.ToString());
        json.WriteString("mediaType", descriptor.MediaType);
        json.WriteNumber("size", descriptor.Size);
        json.WriteEndObject();
    }
}

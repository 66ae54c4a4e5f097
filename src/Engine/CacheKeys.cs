using System.Text.Json;
using Sbuild.Core;
using Sbuild.Frontend;

namespace Sbuild.Engine;

/// <summary>
/// The one cache-key builder: a key is the sha256 of a small JSON document naming the key format's version, the op
/// definition, the keys (or content digests) of its inputs and the digests of outside content it reads (context files,
/// downloads). Keys are data, not hand-formatted strings: a new op field enters the key by being in the record.
/// </summary>
public static class CacheKeys
{
    /// <summary>Bump when what keys cover or how they are written changes: older records then miss rather than answer wrongly.</summary>
    public const string Version = "sbuild.cachekey.v2";

    public static Digest Of(Op op, IReadOnlyList<Digest> inputs, IReadOnlyList<Digest>? content = null)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("version", Version);
            json.WritePropertyName("op");
            JsonSerializer.Serialize(json, KeyedPart(op), FrontendJsonContext.Default.Op);
            WriteDigests(json, "inputs", inputs);
            WriteDigests(json, "content", content ?? []);
            json.WriteEndObject();
        }
        return Digest.Of(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
    }

    /// <summary>
    /// The fields BuildKit keeps out of keys: proxy variables (a proxy does not change what a RUN makes), and the name an
    /// image was found by (its manifest digest says what it is).
    /// </summary>
    private static Op KeyedPart(Op op) => op switch
    {
        ExecOp exec => exec with { ProxyEnv = [] },
        ImageOp image => image with { Reference = "" },
        _ => op,
    };

    private static void WriteDigests(Utf8JsonWriter json, string name, IReadOnlyList<Digest> digests)
    {
        json.WriteStartArray(name);
        foreach (var digest in digests) json.WriteStringValue(digest.ToString());
        json.WriteEndArray();
    }
}

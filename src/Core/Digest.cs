using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sbuild.Core;

/// <summary>A content digest such as <c>sha256:ab12…</c>; only sha256 is produced, parsing validates the hex.</summary>
[JsonConverter(typeof(DigestJsonConverter))]
public readonly record struct Digest
{
    public const string Sha256 = "sha256";

    public string Algorithm { get; }
    /// <summary>Lower-case hex of the hash.</summary>
    public string Encoded { get; }

    private Digest(string algorithm, string encoded)
    {
        Algorithm = algorithm;
        Encoded = encoded;
    }

    public static Digest FromSha256Bytes(ReadOnlySpan<byte> hash) => new(Sha256, Convert.ToHexStringLower(hash));

    public static Digest Of(ReadOnlySpan<byte> content) => FromSha256Bytes(SHA256.HashData(content));

    public static Digest Of(Stream content) => FromSha256Bytes(SHA256.HashData(content));

    public static Digest Parse(string text) =>
        TryParse(text, out var d) ? d : throw new SbuildException(ErrorCode.InvalidDigest, $"invalid digest \"{text}\": expected sha256:<64 lower-case hex digits>");

    public static bool TryParse(string? text, out Digest digest)
    {
        digest = default;
        if (text is null) return false;
        var colon = text.IndexOf(':');
        if (colon <= 0 || text[..colon] != Sha256) return false;
        var hex = text[(colon + 1)..];
        if (hex.Length != 64 || !hex.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f')) return false;
        digest = new Digest(Sha256, hex);
        return true;
    }

    /// <summary>The short image ID as <c>docker images</c> shows it (12 hex digits).</summary>
    public string Short => Encoded[..12];

    public override string ToString() => $"{Algorithm}:{Encoded}";
}

public sealed class DigestJsonConverter : JsonConverter<Digest>
{
    public override Digest Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        Digest.Parse(reader.GetString() ?? "");

    public override void Write(Utf8JsonWriter writer, Digest value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToString());
}

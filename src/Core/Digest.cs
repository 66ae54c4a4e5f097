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

    public static Digest Of(ReadOnlySpan<byte> content) => FromSha256Bytes(Sbuild.Core.Sha256.HashData(content));

    public static Digest Of(Stream content) => FromSha256Bytes(SHA256.HashData(content));

    public static Digest Parse(string text) =>
        TryParse(text, out var d) ? d : throw new SbuildException(ErrorCode.InvalidDigest, $"invalid digest \"{text}\": expected sha256:<64 lower-case hex digits>");

    public static bool TryParse(string? text, out Digest digest)
    {
        digest = default;
        if (!IsSha256Text(text)) return false;
        digest = new Digest(Sha256, text[(Sha256.Length + 1)..]);
        return true;
    }

    /// <summary>
    /// The 32 bytes of a digest's text (<c>sha256:</c> and 64 lower-case hex digits), or false when it is not one;
    /// for callers that want the hash itself (the context stat cache reads thousands) without a <see cref="Digest"/>.
    /// </summary>
    public static bool TryParseSha256Bytes(string? text, Span<byte> hash) =>
        IsSha256Text(text) && Convert.FromHexString(text.AsSpan(Sha256.Length + 1), hash, out _, out var written) == System.Buffers.OperationStatus.Done
        && written == 32;

    private static readonly System.Buffers.SearchValues<char> LowerHex = System.Buffers.SearchValues.Create("0123456789abcdef");

    private static bool IsSha256Text([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] string? text) =>
        text is { Length: 71 } && text.StartsWith("sha256:", StringComparison.Ordinal) && !text.AsSpan(Sha256.Length + 1).ContainsAnyExcept(LowerHex);

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

using System.Text;
using System.Text.Json;
using Sbuild.Core;

namespace Sbuild.Core.Tests;

public class DigestTests
{
    // FIPS 180-2 test vectors: SHA-256 of "" and of "abc".
    private const string EmptySha = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    private const string AbcSha = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    [Fact]
    public void Of_bytes_and_stream_match_the_standard_test_vectors()
    {
        Assert.Equal("sha256:" + EmptySha, Digest.Of(ReadOnlySpan<byte>.Empty).ToString());
        Assert.Equal("sha256:" + AbcSha, Digest.Of("abc"u8).ToString());
        Assert.Equal("sha256:" + AbcSha, Digest.Of(new MemoryStream(Encoding.ASCII.GetBytes("abc"))).ToString());
    }

    [Fact]
    public void Parse_round_trips_and_exposes_its_parts()
    {
        var d = Digest.Parse("sha256:" + AbcSha);
        Assert.Equal("sha256", d.Algorithm);
        Assert.Equal(AbcSha, d.Encoded);
        Assert.Equal("sha256:" + AbcSha, d.ToString());
        Assert.Equal(AbcSha[..12], d.Short);
        Assert.Equal(Digest.Of("abc"u8), d);
    }

    [Theory]
    [InlineData("")]
    [InlineData("sha256:")]
    [InlineData(AbcSha)] // no algorithm
    [InlineData(":" + AbcSha)]
    [InlineData("sha256:" + "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD")] // upper-case hex
    [InlineData("sha256:" + "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a")] // 63 digits
    [InlineData("sha256:" + "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad0")] // 65 digits
    [InlineData("sha256:" + "ga7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")] // not hex
    [InlineData("sha512:" + AbcSha)] // unsupported algorithm
    [InlineData("SHA256:" + AbcSha)]
    [InlineData(" sha256:" + AbcSha)]
    public void Invalid_digests_are_rejected_with_InvalidDigest(string text)
    {
        Assert.False(Digest.TryParse(text, out _));
        Assert.False(Digest.TryParseSha256Bytes(text, new byte[32]));
        var e = Assert.Throws<SbuildException>(() => Digest.Parse(text));
        Assert.Equal(ErrorCode.InvalidDigest, e.Code);
        Assert.Equal("SB4001", e.CodeText);
        Assert.Contains(text, e.Message);
    }

    [Fact]
    public void The_bytes_of_a_digests_text_are_its_hash()
    {
        var hash = new byte[32];
        Assert.True(Digest.TryParseSha256Bytes("sha256:" + AbcSha, hash));
        Assert.Equal(System.Security.Cryptography.SHA256.HashData("abc"u8), hash);
        Assert.False(Digest.TryParseSha256Bytes(null, hash));
    }

    [Fact]
    public void TryParse_of_null_is_false()
    {
        Assert.False(Digest.TryParse(null, out var d));
        Assert.Equal(default, d);
    }

    [Fact]
    public void FromSha256Bytes_renders_lower_case_hex()
    {
        var bytes = Enumerable.Range(0, 32).Select(i => (byte)(0xF0 + i % 16)).ToArray();
        var d = Digest.FromSha256Bytes(bytes);
        Assert.Equal(string.Concat(bytes.Select(b => b.ToString("x2"))), d.Encoded);
    }

    [Fact]
    public void Json_uses_the_string_form_and_rejects_invalid_digests()
    {
        var descriptor = new Descriptor { MediaType = MediaTypes.OciLayer, Digest = Digest.Of("abc"u8), Size = 3 };
        var manifest = new ImageManifest { Config = descriptor, Layers = [descriptor] };
        var json = JsonSerializer.Serialize(manifest, OciJsonContext.Canonical.ImageManifest);
        Assert.Contains($"\"digest\":\"sha256:{AbcSha}\"", json);
        Assert.Equal(manifest.Config, JsonSerializer.Deserialize(json, OciJsonContext.Canonical.ImageManifest)!.Config);

        var bad = json.Replace(AbcSha, "xyz");
        var e = Assert.Throws<SbuildException>(() => JsonSerializer.Deserialize(bad, OciJsonContext.Canonical.ImageManifest));
        Assert.Equal(ErrorCode.InvalidDigest, e.Code);
    }
}

using System.Security.Cryptography;
using System.Text;
using Sbuild.Core;

namespace Sbuild.Core.Tests;

/// <summary>The managed SHA-256 against FIPS 180-4's examples and against OpenSSL's (System.Security.Cryptography).</summary>
public sealed class Sha256Tests
{
    [Theory]
    [InlineData("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")]
    [InlineData("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")]
    [InlineData("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")]
    public void Hashes_the_standards_examples(string message, string expected)
    {
        Assert.Equal(expected, Convert.ToHexStringLower(Sha256.HashData(Encoding.ASCII.GetBytes(message))));
    }

    [Fact]
    public void Every_length_across_the_padding_boundaries_gives_openssls_hash()
    {
        var random = new Random(1);
        var data = new byte[300];
        random.NextBytes(data);
        for (var length = 0; length <= data.Length; length++)
            Assert.Equal(SHA256.HashData(data.AsSpan(0, length)), Sha256.HashData(data.AsSpan(0, length)));
    }

    [Fact]
    public void Appending_in_pieces_of_any_size_gives_the_hash_of_the_whole()
    {
        var random = new Random(2);
        for (var round = 0; round < 200; round++)
        {
            var data = new byte[random.Next(0, 5000)];
            random.NextBytes(data);
            using var hash = Sha256.Create(data.Length);
            for (var at = 0; at < data.Length;)
            {
                var piece = Math.Min(random.Next(0, 150), data.Length - at);
                hash.AppendData(data.AsSpan(at, piece));
                at += piece;
            }
            Assert.Equal(SHA256.HashData(data), hash.GetHash());
        }
    }

    [Fact]
    public void Inputs_past_the_managed_limit_give_the_same_hash_whichever_side_hashes_them()
    {
        var data = new byte[Sha256.ManagedLimit + 1000];
        new Random(3).NextBytes(data);
        Assert.Equal(SHA256.HashData(data), Sha256.HashData(data));
        using var managed = Sha256.Create(0); // told it is small: stays managed however much comes
        managed.AppendData(data);
        Assert.Equal(SHA256.HashData(data), managed.GetHash());
        using var openSsl = Sha256.Create(data.Length);
        openSsl.AppendData(data);
        Assert.Equal(SHA256.HashData(data), openSsl.GetHash());
    }
}

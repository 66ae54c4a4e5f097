using Sbuild.Archive.Tar;

namespace Sbuild.Archive.Tests;

/// <summary>The one tar header checksum: what the writer records is what every reader accepts.</summary>
public sealed class TarHeaderChecksumTests
{
    [Fact]
    public void Unsigned_and_signed_sums_are_valid_and_anything_else_is_not()
    {
        Assert.True(TarHeaderChecksum.IsValid(RawTar.Header("é", (byte)'0')));
        Assert.True(TarHeaderChecksum.IsValid(RawTar.Header("é", (byte)'0', signedChecksum: true)));

        var damaged = RawTar.Header("é", (byte)'0');
        damaged[0] ^= 1;
        Assert.False(TarHeaderChecksum.IsValid(damaged));
        Assert.False(TarHeaderChecksum.IsValid(new byte[512])); // the end-of-archive marker
        Assert.False(TarHeaderChecksum.IsValid(RawTar.Header("f", (byte)'0')[..511]));
    }

    [Fact]
    public void Compute_counts_the_checksum_field_as_spaces()
    {
        var block = RawTar.Header("name", (byte)'5');
        var recorded = Convert.ToInt32(System.Text.Encoding.ASCII.GetString(block, 148, 6), 8);

        block.AsSpan(148, 8).Fill(0xFF); // whatever the field holds does not count
        Assert.Equal(recorded, TarHeaderChecksum.Compute(block));
    }
}

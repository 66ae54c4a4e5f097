using System.Text;
using Sbuild.Core;

namespace Sbuild.Registry.Tests;

/// <summary>
/// Platform selection from an index, as Docker's pull does it (containerd's <c>platforms.Normalize</c>: arm64 without a
/// variant is v8, arm without a variant is v7) and as the OCI image index spec describes <c>platform</c>.
/// </summary>
public sealed class PlatformMatcherTests
{
    private static Descriptor Entry(string name, string os, string architecture, string? variant = null) => new()
    {
        MediaType = MediaTypes.OciManifest,
        Digest = Digest.Of(Encoding.UTF8.GetBytes(name)),
        Size = 100,
        Platform = new Platform { Os = os, Architecture = architecture, Variant = variant },
    };

    private static Platform P(string os, string architecture, string? variant = null) =>
        new() { Os = os, Architecture = architecture, Variant = variant };

    /// <summary>A BuildKit-style index: an attestation manifest (unknown/unknown) first, then the images.</summary>
    private static readonly Descriptor Attestation = Entry("attestation", "unknown", "unknown");
    private static readonly Descriptor Amd64 = Entry("amd64", "linux", "amd64");
    private static readonly Descriptor Arm64 = Entry("arm64", "linux", "arm64", "v8");
    private static readonly Descriptor ArmV6 = Entry("armv6", "linux", "arm", "v6");
    private static readonly Descriptor ArmV7 = Entry("armv7", "linux", "arm", "v7");
    private static readonly IReadOnlyList<Descriptor> Index = [Attestation, Amd64, ArmV6, ArmV7, Arm64];

    [Fact]
    public void Amd64_is_picked_from_a_multi_arch_index()
    {
        Assert.Equal(Amd64, PlatformMatcher.Select(Index, P("linux", "amd64")));
    }

    [Fact]
    public void Arm64_without_a_variant_matches_an_entry_listed_as_v8()
    {
        Assert.Equal(Arm64, PlatformMatcher.Select(Index, P("linux", "arm64")));
    }

    [Fact]
    public void Arm64_v8_matches_an_entry_without_a_variant()
    {
        var index = new[] { Amd64, Entry("arm64-plain", "linux", "arm64") };

        Assert.Equal(index[1], PlatformMatcher.Select(index, P("linux", "arm64", "v8")));
        Assert.Equal(index[1], PlatformMatcher.Select(index, P("linux", "arm64")));
    }

    [Fact]
    public void Arm_without_a_variant_means_v7_even_when_v6_is_listed_first()
    {
        Assert.Equal(ArmV7, PlatformMatcher.Select(Index, P("linux", "arm")));
    }

    [Fact]
    public void An_explicit_arm_variant_is_honoured()
    {
        Assert.Equal(ArmV6, PlatformMatcher.Select(Index, P("linux", "arm", "v6")));
        Assert.Equal(ArmV7, PlatformMatcher.Select(Index, P("linux", "arm", "v7")));
    }

    [Fact]
    public void Arm_v7_matches_an_entry_without_a_variant()
    {
        var plain = Entry("arm-plain", "linux", "arm");

        Assert.Equal(plain, PlatformMatcher.Select([Amd64, plain], P("linux", "arm", "v7")));
    }

    [Fact]
    public void Go_aliases_of_architectures_are_understood()
    {
        Assert.Equal(Amd64, PlatformMatcher.Select(Index, P("linux", "x86_64")));
        Assert.Equal(Arm64, PlatformMatcher.Select(Index, P("linux", "aarch64")));
    }

    [Fact]
    public void No_matching_entry_gives_null()
    {
        Assert.Null(PlatformMatcher.Select(Index, P("linux", "s390x")));
        Assert.Null(PlatformMatcher.Select(Index, P("windows", "amd64")));
        Assert.Null(PlatformMatcher.Select([Amd64, Arm64], P("linux", "arm", "v7")));
    }

    [Fact]
    public void Entries_without_a_platform_are_never_chosen()
    {
        var bare = new Descriptor { MediaType = MediaTypes.OciManifest, Digest = Digest.Of(Encoding.UTF8.GetBytes("bare")), Size = 1 };

        Assert.Null(PlatformMatcher.Select([bare], P("linux", "amd64")));
    }

    [Theory]
    [InlineData("linux", "amd64", null)]
    [InlineData("linux", "arm64", null)]
    [InlineData("linux", "arm", null)]
    [InlineData("linux", "arm", "v6")]
    public void Attestation_manifests_are_never_chosen(string os, string architecture, string? variant)
    {
        // BuildKit's attestation manifests carry platform unknown/unknown (docs/attestations/attestation-storage.md).
        Assert.NotEqual(Attestation, PlatformMatcher.Select(Index, P(os, architecture, variant)));
        Assert.Null(PlatformMatcher.Select([Attestation], P(os, architecture, variant)));
    }

    [Fact]
    public void Normalize_applies_containerds_defaults()
    {
        Assert.Equal(P("linux", "arm64", "v8"), PlatformMatcher.Normalize(P("linux", "arm64")));
        Assert.Equal(P("linux", "arm", "v7"), PlatformMatcher.Normalize(P("linux", "arm")));
        Assert.Equal(P("linux", "amd64"), PlatformMatcher.Normalize(P("Linux", "x86_64")));
        Assert.Equal(P("linux", "arm64", "v8"), PlatformMatcher.Normalize(P("linux", "aarch64")));
        Assert.Equal(P("linux", "386"), PlatformMatcher.Normalize(P("linux", "i386")));
    }

    [Theory]
    [InlineData("linux/amd64", "linux", "amd64", null)]
    [InlineData("linux/arm64", "linux", "arm64", null)]
    [InlineData("linux/arm/v7", "linux", "arm", "v7")]
    [InlineData("Linux/AMD64", "linux", "amd64", null)]
    public void Parse_reads_os_arch_and_variant(string text, string os, string architecture, string? variant)
    {
        Assert.Equal(P(os, architecture, variant), PlatformMatcher.Parse(text, "--platform"));
    }

    [Theory]
    [InlineData("linux")]
    [InlineData("linux/")]
    [InlineData("/amd64")]
    [InlineData("linux//v7")]
    [InlineData("a/b/c/d")]
    [InlineData("")]
    public void Parse_refuses_malformed_platforms_naming_the_flag(string text)
    {
        var error = Assert.Throws<SbuildException>(() => PlatformMatcher.Parse(text, "--platform"));

        Assert.Equal(ErrorCode.InvalidOption, error.Code);
        Assert.Contains("--platform", error.Message);
        Assert.Contains($"\"{text}\"", error.Message);
    }

    [Fact]
    public void Arm_v7_falls_back_to_v6_like_docker()
    {
        Assert.Equal(ArmV6, PlatformMatcher.Select([Amd64, ArmV6], P("linux", "arm")));
    }
}

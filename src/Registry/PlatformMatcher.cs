using Sbuild.Core;

namespace Sbuild.Registry;

/// <summary>Picks the manifest of an index for a platform, with containerd's defaults for variants.</summary>
public static class PlatformMatcher
{
    /// <summary>
    /// The entry for <paramref name="wanted"/>: the exact variant first, else (for 32-bit arm, as containerd and docker
    /// do) the newest older variant that still runs there (v7 runs v6 and v5); null when none fits.
    /// </summary>
    public static Descriptor? Select(IReadOnlyList<Descriptor> manifests, Platform wanted)
    {
        var want = Normalize(wanted);
        return manifests.Where(m => m.Platform is { } p && Matches(p, wanted))
            .OrderBy(m => Normalize(m.Platform!).Variant == want.Variant ? 0 : 1)
            .ThenByDescending(m => ArmVersion(Normalize(m.Platform!).Variant))
            .FirstOrDefault();
    }

    public static bool Matches(Platform offered, Platform wanted)
    {
        var a = Normalize(offered);
        var b = Normalize(wanted);
        if (a.Os != b.Os || a.Architecture != b.Architecture) return false;
        if (b.Variant is null || a.Variant is null || a.Variant == b.Variant) return true;
        return a.Architecture == "arm" && ArmVersion(a.Variant) < ArmVersion(b.Variant);
    }

    private static int ArmVersion(string? variant) =>
        variant is ['v', .. var digits] && int.TryParse(digits, out var n) ? n : 0;

    /// <summary>Go's names: <c>arm64</c> is <c>v8</c> when no variant is given, <c>arm</c> is <c>v7</c>; aarch64/x86_64 aliases.</summary>
    public static Platform Normalize(Platform platform)
    {
        var arch = platform.Architecture.ToLowerInvariant() switch
        {
            "x86_64" or "x86-64" => "amd64",
            "aarch64" => "arm64",
            "i386" => "386",
            var a => a,
        };
        var variant = platform.Variant?.ToLowerInvariant();
        variant = (arch, variant) switch
        {
            ("arm64", null or "8") => "v8",
            ("arm", null) => "v7",
            ("arm", "7" or "6" or "5") => "v" + variant,
            _ => variant,
        };
        return new Platform { Os = platform.Os.ToLowerInvariant(), Architecture = arch, Variant = variant };
    }

    /// <summary>Parses <c>os/arch[/variant]</c> as given to <c>--platform</c>; <paramref name="source"/> names the flag.</summary>
    public static Platform Parse(string text, string source)
    {
        var parts = text.Split('/');
        if (parts.Length is < 2 or > 3 || parts.Any(p => p.Length == 0))
            throw new SbuildException(ErrorCode.InvalidOption, $"{source} \"{text}\": expected OS/ARCH[/VARIANT], e.g. linux/amd64 or linux/arm/v7");
        return new Platform { Os = parts[0].ToLowerInvariant(), Architecture = parts[1].ToLowerInvariant(), Variant = parts.Length == 3 ? parts[2].ToLowerInvariant() : null };
    }
}

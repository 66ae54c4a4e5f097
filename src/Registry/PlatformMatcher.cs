using Sbuild.Core;

namespace Sbuild.Registry;

/// <summary>Picks the manifest of an index for a platform, with containerd's defaults for variants.</summary>
public static class PlatformMatcher
{
    /// <summary>The first entry for <paramref name="wanted"/>, preferring an exact variant; null when none fits.</summary>
    public static Descriptor? Select(IReadOnlyList<Descriptor> manifests, Platform wanted)
    {
        var candidates = manifests.Where(m => m.Platform is { } p && Matches(p, wanted)).ToList();
        return candidates.FirstOrDefault(m => Normalize(m.Platform!).Variant == Normalize(wanted).Variant) ?? candidates.FirstOrDefault();
    }

    public static bool Matches(Platform offered, Platform wanted)
    {
        var a = Normalize(offered);
        var b = Normalize(wanted);
        if (a.Os != b.Os || a.Architecture != b.Architecture) return false;
        // No variant asked for: any variant of the architecture will do (containerd's "only" matcher is stricter; docker is not).
        return b.Variant is null || a.Variant is null || a.Variant == b.Variant;
    }

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

using System.Globalization;
using Sbuild.Core;

namespace Sbuild.Engine.Cache;

/// <summary>A space limit: a share of the store's filesystem (<c>"10%"</c>) or a size (<c>"512MB"</c>, <c>"2GiB"</c>, bytes; powers of 1024 like docker).</summary>
public readonly record struct SpaceLimit(double? Percent, long? Size)
{
    public long Bytes(long filesystemSize) => Size ?? (long)(filesystemSize * Percent!.Value / 100);

    public static SpaceLimit Parse(string text, string what)
    {
        var value = text.Trim();
        if (value.EndsWith('%') && double.TryParse(value[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var percent) && percent is >= 0 and <= 100)
            return new SpaceLimit(percent, null);
        if (ByteSize.TryParse(value, out var bytes)) return new SpaceLimit(null, bytes);
        throw new SbuildException(ErrorCode.InvalidOption, $"{what}: \"{text}\" is neither a percentage (\"10%\") nor a size (\"512MB\", \"2GiB\")");
    }

    public override string ToString() => Percent is { } p ? $"{p.ToString(CultureInfo.InvariantCulture)}%" : $"{Size} bytes";
}

/// <summary>
/// When the build cache is collected after a build. The defaults are current BuildKit's: keep at least 10 % of the
/// filesystem's size of cache, use at most 80 % of it, and keep 20 % of it free.
/// </summary>
public sealed record GcPolicy(bool Enabled, SpaceLimit ReservedSpace, SpaceLimit MaxUsedSpace, SpaceLimit MinFreeSpace)
{
    public static GcPolicy Default { get; } = new(true, new SpaceLimit(10, null), new SpaceLimit(80, null), new SpaceLimit(20, null));
}

/// <summary>Sizes as docker's flags take them (go-units RAMInBytes): a number with an optional unit, powers of 1024 (<c>10GB</c> = 10 GiB).</summary>
public static class ByteSize
{
    public static bool TryParse(string text, out long bytes)
    {
        bytes = 0;
        var value = text.Trim();
        var split = 0;
        while (split < value.Length && (char.IsAsciiDigit(value[split]) || value[split] == '.')) split++;
        if (split == 0 || !double.TryParse(value[..split], NumberStyles.Float, CultureInfo.InvariantCulture, out var number)) return false;
        double? factor = value[split..].Trim().ToLowerInvariant() switch
        {
            "" or "b" => 1,
            "k" or "kb" or "kib" => 1L << 10, "m" or "mb" or "mib" => 1L << 20,
            "g" or "gb" or "gib" => 1L << 30, "t" or "tb" or "tib" => 1L << 40,
            _ => null,
        };
        if (factor is null) return false;
        bytes = (long)(number * factor.Value);
        return true;
    }
}

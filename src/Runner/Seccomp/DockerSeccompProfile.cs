using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace Sbuild.Runner.Seccomp;

// Docker's seccomp profile format (`docker run --security-opt seccomp=FILE`, moby's profiles/seccomp): the OCI
// linux.seccomp object plus rules that apply only on some architectures, kernels or capability sets. The OCI object a
// container gets is made from it by SeccompConverter.

internal sealed record DockerSeccompProfile
{
    /// <summary>Absent together with <see cref="Syscalls"/>: the profile filters nothing (as moby reads it).</summary>
    [JsonPropertyName("defaultAction")] public string? DefaultAction { get; init; }
    [JsonPropertyName("defaultErrnoRet")] public uint? DefaultErrnoRet { get; init; }
    /// <summary>Fixed ABIs, for profiles written for one host; <see cref="ArchMap"/> is the portable way.</summary>
    [JsonPropertyName("architectures")] public IReadOnlyList<string>? Architectures { get; init; }
    [JsonPropertyName("archMap")] public IReadOnlyList<DockerSeccompArchitecture>? ArchMap { get; init; }
    [JsonPropertyName("flags")] public IReadOnlyList<string>? Flags { get; init; }
    [JsonPropertyName("syscalls")] public IReadOnlyList<DockerSeccompSyscall>? Syscalls { get; init; }
}

/// <summary>A native ABI (<c>SCMP_ARCH_X86_64</c>) and the ones its processes may also call through (x86, x32).</summary>
internal sealed record DockerSeccompArchitecture
{
    [JsonPropertyName("architecture")] public required string Architecture { get; init; }
    [JsonPropertyName("subArchitectures")] public IReadOnlyList<string>? SubArchitectures { get; init; }
}

internal sealed record DockerSeccompSyscall
{
    /// <summary>The old one-syscall form; a rule has this or <see cref="Names"/>, not both.</summary>
    [JsonPropertyName("name")] public string? Name { get; init; }
    [JsonPropertyName("names")] public IReadOnlyList<string>? Names { get; init; }
    [JsonPropertyName("action")] public required string Action { get; init; }
    [JsonPropertyName("errnoRet")] public uint? ErrnoRet { get; init; }
    [JsonPropertyName("args")] public IReadOnlyList<SeccompArgSpec>? Args { get; init; }
    /// <summary>The rule applies only where every condition given here holds.</summary>
    [JsonPropertyName("includes")] public DockerSeccompFilter? Includes { get; init; }
    /// <summary>The rule is dropped where any condition given here holds.</summary>
    [JsonPropertyName("excludes")] public DockerSeccompFilter? Excludes { get; init; }
}

/// <summary>Conditions on the container (its capabilities) and the host (libseccomp's architecture name, kernel version).</summary>
internal sealed record DockerSeccompFilter
{
    [JsonPropertyName("caps")] public IReadOnlyList<string>? Caps { get; init; }
    [JsonPropertyName("arches")] public IReadOnlyList<string>? Arches { get; init; }
    [JsonPropertyName("minKernel"), JsonConverter(typeof(MinKernelJsonConverter))] public KernelVersion? MinKernel { get; init; }
}

/// <summary>
/// A kernel's version and major revision, all a profile's <c>minKernel</c> compares: 3.12.25-gentoo and 3.12-1-amd64
/// are both 3.12.
/// </summary>
internal readonly partial record struct KernelVersion(uint Kernel, uint Major)
{
    public bool IsAtLeast(KernelVersion minimum) => Kernel > minimum.Kernel || (Kernel == minimum.Kernel && Major >= minimum.Major);

    /// <summary>A <c>minKernel</c> value: exactly "KERNEL.MAJOR", each below 256, not 0.0 (moby's rules).</summary>
    public static KernelVersion? ParseMinimum(string text)
    {
        var parts = text.Split('.');
        return parts.Length == 2 && byte.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var kernel)
            && byte.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var major) && (kernel, major) != (0, 0)
            ? new KernelVersion(kernel, major)
            : null;
    }

    /// <summary>The leading "KERNEL.MAJOR" of a kernel release string (<c>uname -r</c>); null when it has none.</summary>
    public static KernelVersion? FromRelease(string release) =>
        ReleasePrefix().Match(release) is { Success: true } match
            && uint.TryParse(match.Groups[1].ValueSpan, CultureInfo.InvariantCulture, out var kernel)
            && uint.TryParse(match.Groups[2].ValueSpan, CultureInfo.InvariantCulture, out var major)
            ? new KernelVersion(kernel, major)
            : null;

    public override string ToString() => $"{Kernel}.{Major}";

    [GeneratedRegex(@"^(\d+)\.(\d+)")]
    private static partial Regex ReleasePrefix();
}

/// <summary><c>"minKernel": "4.8"</c>; an empty string means no condition, as in moby.</summary>
internal sealed class MinKernelJsonConverter : JsonConverter<KernelVersion?>
{
    public override KernelVersion? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.TokenType == JsonTokenType.String ? reader.GetString()! : throw new JsonException("minKernel must be a string \"KERNEL.MAJOR\"");
        if (text.Length == 0) return null;
        return KernelVersion.ParseMinimum(text) ?? throw new JsonException($"minKernel \"{text}\" is not a kernel version \"KERNEL.MAJOR\" (such as \"4.8\")");
    }

    public override void Write(Utf8JsonWriter writer, KernelVersion? value, JsonSerializerOptions options)
    {
        if (value is { } version) writer.WriteStringValue(version.ToString());
        else writer.WriteNullValue();
    }
}

/// <summary>Docker reads profiles with Go's encoding/json, which matches member names without regard to case.</summary>
[JsonSourceGenerationOptions(PropertyNameCaseInsensitive = true)]
[JsonSerializable(typeof(DockerSeccompProfile))]
internal sealed partial class DockerSeccompJsonContext : JsonSerializerContext;

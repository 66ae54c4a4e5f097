using System.Collections.Concurrent;
using System.Text.Json;
using Sbuild.Core;

namespace Sbuild.Runner.Seccomp;

/// <summary>
/// A seccomp profile in Docker's format: what a RUN's syscall filter is made from. <see cref="Default"/> is Docker's
/// default profile (embedded; docs/seccomp.md names its source), which lets through what ordinary programs need and
/// refuses with EPERM what only a privileged or namespace-making process would call (unshare, mount, keyctl, bpf, …)
/// unless the container holds the capability that makes it safe. Parsed once; the OCI object for a capability set is
/// made once per process and then reused by every RUN.
/// </summary>
public sealed class SeccompProfile
{
    private const string DefaultResource = "Sbuild.Runner.Seccomp.default.json";

    private readonly Lazy<DockerSeccompProfile> _document;
    private readonly ConcurrentDictionary<string, SeccompSpec?> _converted = new(StringComparer.Ordinal);

    private SeccompProfile(Func<DockerSeccompProfile> document) => _document = new Lazy<DockerSeccompProfile>(document);

    /// <summary>Docker's default profile, read on first use (a fully cached build never parses it).</summary>
    public static SeccompProfile Default { get; } = new(ReadDefault);

    /// <summary>A Docker-format profile file (as <c>docker run --security-opt seccomp=FILE</c> takes), read and checked now.</summary>
    /// <exception cref="SbuildException">The file cannot be read or is not a valid profile; the message names the file.</exception>
    public static SeccompProfile Load(string path)
    {
        byte[] json;
        try
        {
            json = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SbuildException(ErrorCode.InvalidOption, $"cannot read the seccomp profile {path}: {e.Message}", e);
        }
        var document = Parse(json, $"seccomp profile {path}");
        return new SeccompProfile(() => document);
    }

    /// <summary>The OCI <c>linux.seccomp</c> object for a container holding <paramref name="capabilities"/> on this host.</summary>
    internal SeccompSpec? For(IReadOnlyList<string> capabilities) =>
        _converted.GetOrAdd(string.Join(',', capabilities), _ => SeccompConverter.Convert(_document.Value, capabilities, SeccompPlatform.Host));

    /// <summary>Reads a Docker-format profile and checks what moby refuses; <paramref name="source"/> starts every error.</summary>
    internal static DockerSeccompProfile Parse(ReadOnlySpan<byte> json, string source)
    {
        DockerSeccompProfile? profile;
        try
        {
            profile = JsonSerializer.Deserialize(json, DockerSeccompJsonContext.Default.DockerSeccompProfile);
        }
        catch (JsonException e)
        {
            throw new SbuildException(ErrorCode.InvalidOption, $"{source} is not a valid profile: {e.Message}", e);
        }
        if (profile is null)
            throw new SbuildException(ErrorCode.InvalidOption, $"{source} is not a valid profile: it is null");
        // moby hands such a profile to the runtime, which fails every RUN; say so before the build starts.
        if (string.IsNullOrEmpty(profile.DefaultAction) && profile.Syscalls is { Count: > 0 })
            throw new SbuildException(ErrorCode.InvalidOption, $"{source} has syscall rules but no \"defaultAction\"");
        if (profile.Architectures is { Count: > 0 } && profile.ArchMap is { Count: > 0 })
            throw new SbuildException(ErrorCode.InvalidOption, $"{source} sets both \"architectures\" and \"archMap\": use one of them");
        foreach (var (rule, index) in (profile.Syscalls ?? []).Select((rule, index) => (rule, index)))
        {
            if (rule.Name is { Length: > 0 } && rule.Names is { Count: > 0 })
                throw new SbuildException(ErrorCode.InvalidOption, $"{source}: syscalls[{index}] sets both \"name\" and \"names\": use one of them");
        }
        return profile;
    }

    private static DockerSeccompProfile ReadDefault()
    {
        using var stream = typeof(SeccompProfile).Assembly.GetManifestResourceStream(DefaultResource)
            ?? throw new InvalidOperationException($"the assembly lacks its embedded resource {DefaultResource}");
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return Parse(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), "Docker's default seccomp profile");
    }
}

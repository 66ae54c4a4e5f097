using System.Runtime.InteropServices;
using Sbuild.Core;

namespace Sbuild.Runner.Seccomp;

/// <summary>
/// What a profile's conditions are evaluated against: the host's architecture, by libseccomp's name (the one
/// <c>includes.arches</c> uses, such as <c>amd64</c>) and as the <c>SCMP_ARCH_*</c> ABI that picks the archMap entry,
/// and the running kernel's version. Both null for an architecture libseccomp does not know.
/// </summary>
internal sealed record SeccompPlatform(string? Arch, string? SeccompArch, KernelVersion Kernel)
{
    private const string KernelReleaseFile = "/proc/sys/kernel/osrelease";

    private static readonly Lazy<SeccompPlatform> HostPlatform = new(Detect);

    /// <summary>This process's architecture (its ABI is what RUN steps run as) and kernel, read once.</summary>
    public static SeccompPlatform Host => HostPlatform.Value;

    private static SeccompPlatform Detect()
    {
        var (arch, seccompArch) = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => ("amd64", "SCMP_ARCH_X86_64"),
            Architecture.X86 => ("x86", "SCMP_ARCH_X86"),
            Architecture.Arm64 => ("arm64", "SCMP_ARCH_AARCH64"),
            Architecture.Arm => ("arm", "SCMP_ARCH_ARM"),
            Architecture.S390x => ("s390x", "SCMP_ARCH_S390X"),
            Architecture.Ppc64le => ("ppc64le", "SCMP_ARCH_PPC64LE"),
            Architecture.RiscV64 => ("riscv64", "SCMP_ARCH_RISCV64"),
            Architecture.LoongArch64 => ("loongarch64", "SCMP_ARCH_LOONGARCH64"),
            _ => ((string?)null, (string?)null),
        };
        string release;
        try
        {
            release = File.ReadAllText(KernelReleaseFile).Trim();
        }
        catch (IOException e)
        {
            throw new SbuildException(ErrorCode.RuntimeFailed, $"cannot read the kernel version for the seccomp profile: {KernelReleaseFile}: {e.Message}", e);
        }
        var kernel = KernelVersion.FromRelease(release)
            ?? throw new SbuildException(ErrorCode.RuntimeFailed, $"cannot read the kernel version for the seccomp profile: {KernelReleaseFile} says \"{release}\"");
        return new SeccompPlatform(arch, seccompArch, kernel);
    }
}

/// <summary>
/// Docker's profile format → the OCI <c>linux.seccomp</c> object for one container, with moby's rules
/// (profiles/seccomp <c>setupSeccomp</c>): the archMap entry of the host's ABI gives the architectures, and a syscall
/// rule is kept unless its <c>excludes</c> match (any of: the host's arch, a capability the container holds, a kernel at
/// least <c>minKernel</c>) or its <c>includes</c> do not (all of: the host's arch among those listed, every capability
/// listed held, a kernel at least <c>minKernel</c>). A pure function of its arguments.
/// </summary>
internal static class SeccompConverter
{
    /// <param name="capabilities">The container's capability set (its bounding set, which is what moby checks).</param>
    /// <returns>Null for a profile that filters nothing (no default action and no rules; <see cref="SeccompProfile.Parse"/>
    /// refuses rules without a default action).</returns>
    public static SeccompSpec? Convert(DockerSeccompProfile profile, IReadOnlyCollection<string> capabilities, SeccompPlatform platform)
    {
        if (string.IsNullOrEmpty(profile.DefaultAction))
            return null;
        var architectures = new List<string>(profile.Architectures ?? []);
        if (platform.SeccompArch is { } native && profile.ArchMap?.FirstOrDefault(a => a.Architecture == native) is { } entry)
            architectures.AddRange([entry.Architecture, .. entry.SubArchitectures ?? []]);
        var held = capabilities.ToHashSet(StringComparer.Ordinal);
        var syscalls = (profile.Syscalls ?? []).Where(rule => Applies(rule, held, platform)).Select(rule => new SeccompSyscallSpec
        {
            Names = rule.Name is { Length: > 0 } name ? [name] : rule.Names ?? [],
            Action = rule.Action,
            ErrnoRet = rule.ErrnoRet,
            Args = rule.Args is { Count: > 0 } args ? args : null,
        }).ToList();
        return new SeccompSpec
        {
            DefaultAction = profile.DefaultAction,
            DefaultErrnoRet = profile.DefaultErrnoRet,
            Architectures = architectures.Count > 0 ? architectures : null,
            Flags = profile.Flags is { Count: > 0 } flags ? flags : null,
            Syscalls = syscalls.Count > 0 ? syscalls : null,
        };
    }

    private static bool Applies(DockerSeccompSyscall rule, HashSet<string> capabilities, SeccompPlatform platform)
    {
        if (rule.Excludes is { } excludes)
        {
            if (platform.Arch is { } arch && excludes.Arches is { } arches && arches.Contains(arch))
                return false;
            if (excludes.Caps is { } caps && caps.Any(capabilities.Contains))
                return false;
            if (excludes.MinKernel is { } newer && platform.Kernel.IsAtLeast(newer))
                return false;
        }
        if (rule.Includes is { } includes)
        {
            if (includes.Arches is { Count: > 0 } arches && (platform.Arch is not { } arch || !arches.Contains(arch)))
                return false;
            if (includes.Caps is { } caps && !caps.All(capabilities.Contains))
                return false;
            if (includes.MinKernel is { } minimum && !platform.Kernel.IsAtLeast(minimum))
                return false;
        }
        return true;
    }
}

using System.Text;
using Sbuild.Core;
using Sbuild.Runner.Seccomp;

namespace Sbuild.Runner.Tests;

/// <summary>Docker-format profile → OCI linux.seccomp, with moby's rules for archMap, includes and excludes.</summary>
public sealed class SeccompConverterTests : IDisposable
{
    private static readonly SeccompPlatform Amd64 = new("amd64", "SCMP_ARCH_X86_64", new KernelVersion(6, 1));
    private static readonly SeccompPlatform Arm64 = new("arm64", "SCMP_ARCH_AARCH64", new KernelVersion(6, 1));

    // Shaped like Docker's default profile: plain rules, and rules that hold only for a capability, an arch or a kernel.
    private const string Profile = """
        {
          "defaultAction": "SCMP_ACT_ERRNO",
          "defaultErrnoRet": 1,
          "archMap": [
            {"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]},
            {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]}
          ],
          "syscalls": [
            {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW", "args": [], "includes": {}, "excludes": {}},
            {"names": ["ptrace"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "4.8"}},
            {"names": ["unshare", "mount"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
            {"names": ["clone"], "action": "SCMP_ACT_ALLOW",
             "args": [{"index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}],
             "excludes": {"caps": ["CAP_SYS_ADMIN"], "arches": ["s390", "s390x"]}},
            {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38, "excludes": {"caps": ["CAP_SYS_ADMIN"]}},
            {"names": ["arch_prctl"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["amd64", "x32"]}},
            {"names": ["set_tls"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["arm", "arm64"]}},
            {"name": "old_call", "action": "SCMP_ACT_ALLOW", "excludes": {"minKernel": "5.10"}},
            {"names": ["kexec_load"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_BOOT", "CAP_SYS_ADMIN"]}}
          ]
        }
        """;

    private readonly string _directory = Directory.CreateTempSubdirectory("sbuild-seccomp-test-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static SeccompSpec Convert(IReadOnlyCollection<string> capabilities, SeccompPlatform platform, string profile = Profile) =>
        SeccompConverter.Convert(SeccompProfile.Parse(Encoding.UTF8.GetBytes(profile), "test profile"), capabilities, platform)!;

    /// <summary>Each rule as one line: "ACTION[(errno)] names [index op value valueTwo]".</summary>
    private static string[] Rules(SeccompSpec spec) =>
    [
        .. (spec.Syscalls ?? []).Select(rule => $"{rule.Action}{(rule.ErrnoRet is { } errno ? $"({errno})" : "")} {string.Join(',', rule.Names)}"
            + string.Concat((rule.Args ?? []).Select(a => $" [{a.Index} {a.Op} {a.Value} {a.ValueTwo}]"))),
    ];

    [Fact]
    public void Default_capabilities_on_amd64_keep_the_plain_rules_and_those_whose_conditions_hold()
    {
        var spec = Convert(OciSpecBuilder.DefaultCapabilities, Amd64);

        Assert.Equal("SCMP_ACT_ERRNO", spec.DefaultAction);
        Assert.Equal(1u, spec.DefaultErrnoRet);
        Assert.Equal(["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"], spec.Architectures);
        Assert.Null(spec.Flags);
        Assert.Equal(
        [
            "SCMP_ACT_ALLOW read,write",
            "SCMP_ACT_ALLOW ptrace",
            "SCMP_ACT_ALLOW clone [0 SCMP_CMP_MASKED_EQ 2114060288 0]",
            "SCMP_ACT_ERRNO(38) clone3",
            "SCMP_ACT_ALLOW arch_prctl",
        ], Rules(spec));
        // Empty args (Docker's older files write "args": []) are left out, as the OCI field is omitempty.
        Assert.Null(spec.Syscalls![0].Args);
    }

    [Fact]
    public void A_held_capability_includes_its_rules_and_drops_the_rules_it_excludes()
    {
        var spec = Convert([.. OciSpecBuilder.DefaultCapabilities, "CAP_SYS_ADMIN"], Amd64);

        Assert.Equal(
        [
            "SCMP_ACT_ALLOW read,write",
            "SCMP_ACT_ALLOW ptrace",
            "SCMP_ACT_ALLOW unshare,mount",
            "SCMP_ACT_ALLOW arch_prctl",
        ], Rules(spec));
    }

    [Fact]
    public void Includes_need_every_listed_capability()
    {
        Assert.DoesNotContain("SCMP_ACT_ALLOW kexec_load", Rules(Convert(["CAP_SYS_BOOT"], Amd64)));
        Assert.Contains("SCMP_ACT_ALLOW kexec_load", Rules(Convert(["CAP_SYS_BOOT", "CAP_SYS_ADMIN"], Amd64)));
    }

    [Fact]
    public void The_host_arch_picks_the_arch_map_entry_and_the_arch_rules()
    {
        var spec = Convert(OciSpecBuilder.DefaultCapabilities, Arm64);

        Assert.Equal(["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"], spec.Architectures);
        Assert.Contains("SCMP_ACT_ALLOW set_tls", Rules(spec));
        Assert.DoesNotContain("SCMP_ACT_ALLOW arch_prctl", Rules(spec));

        var s390x = Convert(OciSpecBuilder.DefaultCapabilities, new SeccompPlatform("s390x", "SCMP_ARCH_S390X", new KernelVersion(6, 1)));
        Assert.Null(s390x.Architectures); // no archMap entry: the runtime's native ABI only
        Assert.DoesNotContain(Rules(s390x), rule => rule.Contains("clone ", StringComparison.Ordinal)); // excluded on s390x
    }

    [Fact]
    public void An_arch_libseccomp_does_not_know_gets_no_arch_rules()
    {
        var spec = Convert(OciSpecBuilder.DefaultCapabilities, new SeccompPlatform(null, null, new KernelVersion(6, 1)));

        Assert.Null(spec.Architectures);
        Assert.DoesNotContain("SCMP_ACT_ALLOW arch_prctl", Rules(spec));
        Assert.Contains("SCMP_ACT_ALLOW clone [0 SCMP_CMP_MASKED_EQ 2114060288 0]", Rules(spec));
    }

    [Fact]
    public void Min_kernel_includes_a_rule_from_that_kernel_on_and_excludes_one_from_it_on()
    {
        var old = Rules(Convert(OciSpecBuilder.DefaultCapabilities, Amd64 with { Kernel = new KernelVersion(4, 4) }));
        var exact = Rules(Convert(OciSpecBuilder.DefaultCapabilities, Amd64 with { Kernel = new KernelVersion(4, 8) }));
        var before = Rules(Convert(OciSpecBuilder.DefaultCapabilities, Amd64 with { Kernel = new KernelVersion(5, 9) }));

        Assert.DoesNotContain("SCMP_ACT_ALLOW ptrace", old);
        Assert.Contains("SCMP_ACT_ALLOW ptrace", exact);
        // "name" (the old one-syscall form) becomes names; excluded from 5.10 on.
        Assert.Contains("SCMP_ACT_ALLOW old_call", before);
        Assert.DoesNotContain("SCMP_ACT_ALLOW old_call", Rules(Convert(OciSpecBuilder.DefaultCapabilities, Amd64)));
    }

    [Fact]
    public void Fixed_architectures_and_flags_pass_through()
    {
        var spec = Convert([], Amd64, """
            {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"], "flags": ["SECCOMP_FILTER_FLAG_LOG"],
             "syscalls": [{"names": ["keyctl"], "action": "SCMP_ACT_ERRNO"}]}
            """);

        Assert.Equal(["SCMP_ARCH_X86_64"], spec.Architectures);
        Assert.Equal(["SECCOMP_FILTER_FLAG_LOG"], spec.Flags);
        Assert.Null(spec.DefaultErrnoRet);
        Assert.Equal(["SCMP_ACT_ERRNO keyctl"], Rules(spec));
    }

    [Fact]
    public void A_profile_without_default_action_or_rules_filters_nothing()
    {
        Assert.Null(SeccompConverter.Convert(SeccompProfile.Parse("{}"u8, "empty"), OciSpecBuilder.DefaultCapabilities, Amd64));
        Assert.Null(SeccompConverter.Convert(SeccompProfile.Parse("""{"defaultAction": "", "syscalls": []}"""u8, "empty"), [], Amd64));
    }

    [Fact]
    public void Member_names_match_regardless_of_case_as_in_docker()
    {
        var spec = Convert([], Amd64, """{"DefaultAction": "SCMP_ACT_ALLOW", "Syscalls": [{"Names": ["keyctl"], "Action": "SCMP_ACT_ERRNO"}]}""");

        Assert.Equal("SCMP_ACT_ALLOW", spec.DefaultAction);
        Assert.Equal(["SCMP_ACT_ERRNO keyctl"], Rules(spec));
    }

    [Theory]
    [InlineData("""{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64"], "archMap": [{"architecture": "SCMP_ARCH_X86_64"}]}""",
        "sets both \"architectures\" and \"archMap\"")]
    [InlineData("""{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"name": "read", "names": ["write"], "action": "SCMP_ACT_ALLOW"}]}""",
        "syscalls[0] sets both \"name\" and \"names\"")]
    [InlineData("""{"syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "4"}}]}""", "minKernel \"4\" is not a kernel version")]
    [InlineData("""{"syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "0.0"}}]}""", "minKernel \"0.0\" is not a kernel version")]
    [InlineData("""{"syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "excludes": {"minKernel": "4.8.1"}}]}""", "minKernel \"4.8.1\" is not a kernel version")]
    [InlineData("""{"syscalls": [{"names": ["read"]}]}""", "missing required properties")]
    [InlineData("""{"syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 1}]}]}""", "missing required properties")]
    [InlineData("""{"syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]}""", "has syscall rules but no \"defaultAction\"")]
    [InlineData("null", "is not a valid profile: it is null")]
    [InlineData("{\"defaultAction\": ", "is not a valid profile")]
    public void Loading_refuses_what_docker_refuses_and_names_the_file(string json, string error)
    {
        var path = Path.Join(_directory, "profile.json");
        File.WriteAllText(path, json);

        var e = Assert.Throws<SbuildException>(() => SeccompProfile.Load(path));

        Assert.Equal(ErrorCode.InvalidOption, e.Code);
        Assert.StartsWith($"seccomp profile {path}", e.Message);
        Assert.Contains(error, e.Message);
    }

    [Fact]
    public void Loading_a_missing_file_says_which()
    {
        var path = Path.Join(_directory, "absent.json");

        var e = Assert.Throws<SbuildException>(() => SeccompProfile.Load(path));

        Assert.StartsWith($"cannot read the seccomp profile {path}: ", e.Message);
    }

    [Fact]
    public void A_profile_is_converted_once_per_capability_set()
    {
        var path = Path.Join(_directory, "profile.json");
        File.WriteAllText(path, Profile);
        var profile = SeccompProfile.Load(path);

        var first = profile.For(OciSpecBuilder.DefaultCapabilities);

        Assert.Same(first, profile.For(OciSpecBuilder.DefaultCapabilities));
        Assert.NotSame(first, profile.For(OciSpecBuilder.AllCapabilities));
    }

    [Fact]
    public void Dockers_default_profile_refuses_namespace_and_keyring_calls_unless_cap_sys_admin_allows_some()
    {
        static HashSet<string> Allowed(SeccompSpec spec) =>
            [.. spec.Syscalls!.Where(rule => rule.Action == "SCMP_ACT_ALLOW" && rule.Args is null).SelectMany(rule => rule.Names)];

        var confined = SeccompProfile.Default.For(OciSpecBuilder.DefaultCapabilities)!;
        var admin = SeccompProfile.Default.For([.. OciSpecBuilder.DefaultCapabilities, "CAP_SYS_ADMIN"])!;

        // Anything else fails: SCMP_ACT_ERRNO without an errno is EPERM in runc and crun.
        Assert.Equal("SCMP_ACT_ERRNO", confined.DefaultAction);
        Assert.Null(confined.DefaultErrnoRet);
        Assert.Superset(new HashSet<string> { "read", "write", "execve", "openat", "chroot", "ptrace" }, Allowed(confined));
        Assert.Empty(Allowed(confined).Intersect(["unshare", "setns", "mount", "keyctl", "add_key", "request_key", "bpf", "reboot"]));
        Assert.Superset(new HashSet<string> { "unshare", "setns", "mount" }, Allowed(admin));
        Assert.DoesNotContain("keyctl", Allowed(admin));
    }

    [Theory]
    [InlineData("6.18.44-fc-v782", 6u, 18u)]
    [InlineData("3.12-1-amd64", 3u, 12u)]
    [InlineData("5.10.0", 5u, 10u)]
    public void The_kernel_version_is_the_start_of_the_release(string release, uint kernel, uint major) =>
        Assert.Equal(new KernelVersion(kernel, major), KernelVersion.FromRelease(release));
}

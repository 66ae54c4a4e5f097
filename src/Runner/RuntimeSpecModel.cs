using System.Text.Json.Serialization;

namespace Sbuild.Runner;

// The subset of the OCI runtime-spec (config.md, config-linux.md) that build containers need.

internal sealed record RuntimeSpec
{
    [JsonPropertyName("ociVersion")] public required string OciVersion { get; init; }
    [JsonPropertyName("process")] public required ProcessSpec Process { get; init; }
    [JsonPropertyName("root")] public required RootSpec Root { get; init; }
    [JsonPropertyName("hostname")] public required string Hostname { get; init; }
    [JsonPropertyName("mounts")] public required IReadOnlyList<MountSpec> Mounts { get; init; }
    [JsonPropertyName("linux")] public required LinuxSpec Linux { get; init; }
}

internal sealed record ProcessSpec
{
    [JsonPropertyName("terminal")] public bool Terminal { get; init; }
    [JsonPropertyName("user")] public required UserSpec User { get; init; }
    [JsonPropertyName("args")] public required IReadOnlyList<string> Args { get; init; }
    [JsonPropertyName("env")] public required IReadOnlyList<string> Env { get; init; }
    [JsonPropertyName("cwd")] public required string Cwd { get; init; }
    [JsonPropertyName("capabilities")] public required CapabilitiesSpec Capabilities { get; init; }
    [JsonPropertyName("rlimits")] public required IReadOnlyList<RlimitSpec> Rlimits { get; init; }
    [JsonPropertyName("noNewPrivileges")] public bool NoNewPrivileges { get; init; }
}

internal sealed record UserSpec
{
    [JsonPropertyName("uid")] public required uint Uid { get; init; }
    [JsonPropertyName("gid")] public required uint Gid { get; init; }
    [JsonPropertyName("additionalGids")] public IReadOnlyList<uint>? AdditionalGids { get; init; }
}

internal sealed record CapabilitiesSpec
{
    [JsonPropertyName("bounding")] public required IReadOnlyList<string> Bounding { get; init; }
    [JsonPropertyName("effective")] public required IReadOnlyList<string> Effective { get; init; }
    [JsonPropertyName("permitted")] public required IReadOnlyList<string> Permitted { get; init; }
}

internal sealed record RlimitSpec
{
    [JsonPropertyName("type")] public required string Type { get; init; }
    [JsonPropertyName("hard")] public required ulong Hard { get; init; }
    [JsonPropertyName("soft")] public required ulong Soft { get; init; }
}

internal sealed record RootSpec
{
    [JsonPropertyName("path")] public required string Path { get; init; }
    [JsonPropertyName("readonly")] public bool Readonly { get; init; }
}

internal sealed record MountSpec
{
    [JsonPropertyName("destination")] public required string Destination { get; init; }
    [JsonPropertyName("type")] public required string Type { get; init; }
    [JsonPropertyName("source")] public required string Source { get; init; }
    [JsonPropertyName("options")] public IReadOnlyList<string>? Options { get; init; }
}

internal sealed record LinuxSpec
{
    [JsonPropertyName("cgroupsPath")] public string? CgroupsPath { get; init; }
    [JsonPropertyName("resources")] public required ResourcesSpec Resources { get; init; }
    [JsonPropertyName("namespaces")] public required IReadOnlyList<NamespaceSpec> Namespaces { get; init; }
    [JsonPropertyName("maskedPaths")] public required IReadOnlyList<string> MaskedPaths { get; init; }
    [JsonPropertyName("readonlyPaths")] public required IReadOnlyList<string> ReadonlyPaths { get; init; }
    /// <summary>The syscall filter; absent: none (a privileged step, or <c>--security-opt seccomp=unconfined</c>).</summary>
    [JsonPropertyName("seccomp")] public SeccompSpec? Seccomp { get; init; }
}

/// <summary>config-linux.md "Seccomp": the action for syscalls no rule names, the ABIs the filter covers, and the rules.</summary>
internal sealed record SeccompSpec
{
    [JsonPropertyName("defaultAction")] public required string DefaultAction { get; init; }
    [JsonPropertyName("defaultErrnoRet")] public uint? DefaultErrnoRet { get; init; }
    [JsonPropertyName("architectures")] public IReadOnlyList<string>? Architectures { get; init; }
    [JsonPropertyName("flags")] public IReadOnlyList<string>? Flags { get; init; }
    [JsonPropertyName("syscalls")] public IReadOnlyList<SeccompSyscallSpec>? Syscalls { get; init; }
}

internal sealed record SeccompSyscallSpec
{
    [JsonPropertyName("names")] public required IReadOnlyList<string> Names { get; init; }
    [JsonPropertyName("action")] public required string Action { get; init; }
    [JsonPropertyName("errnoRet")] public uint? ErrnoRet { get; init; }
    [JsonPropertyName("args")] public IReadOnlyList<SeccompArgSpec>? Args { get; init; }
}

/// <summary>A condition on one syscall argument: <c>args[Index] Op Value</c> (<c>SCMP_CMP_MASKED_EQ</c>: <c>args[Index] &amp; Value == ValueTwo</c>).</summary>
internal sealed record SeccompArgSpec
{
    [JsonPropertyName("index")] public required uint Index { get; init; }
    [JsonPropertyName("value")] public ulong Value { get; init; }
    [JsonPropertyName("valueTwo")] public ulong ValueTwo { get; init; }
    [JsonPropertyName("op")] public required string Op { get; init; }
}

internal sealed record ResourcesSpec
{
    [JsonPropertyName("devices")] public required IReadOnlyList<DeviceRuleSpec> Devices { get; init; }
    [JsonPropertyName("pids")] public PidsSpec? Pids { get; init; }
    [JsonPropertyName("memory")] public MemorySpec? Memory { get; init; }
}

/// <summary>config-linux.md "pids": the most tasks (processes and threads) the container's cgroup may hold.</summary>
internal sealed record PidsSpec
{
    [JsonPropertyName("limit")] public required long Limit { get; init; }
}

/// <summary>config-linux.md "memory": <c>limit</c> in bytes; <c>swap</c> is memory plus swap, as in cgroup v1's memsw.</summary>
internal sealed record MemorySpec
{
    [JsonPropertyName("limit")] public required long Limit { get; init; }
    [JsonPropertyName("swap")] public long? Swap { get; init; }
}

internal sealed record DeviceRuleSpec
{
    [JsonPropertyName("allow")] public required bool Allow { get; init; }
    [JsonPropertyName("access")] public required string Access { get; init; }
}

internal sealed record NamespaceSpec
{
    [JsonPropertyName("type")] public required string Type { get; init; }
}

/// <summary>One line of the runtime's <c>--log-format json</c> log.</summary>
internal sealed record RuntimeLogEntry
{
    [JsonPropertyName("level")] public string? Level { get; init; }
    [JsonPropertyName("msg")] public string? Message { get; init; }
}

[JsonSourceGenerationOptions(WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(RuntimeSpec))]
[JsonSerializable(typeof(RuntimeLogEntry))]
internal sealed partial class RuntimeSpecJsonContext : JsonSerializerContext;

using System.Globalization;
using System.Text.Json.Serialization;
using Sbuild.Core;
using Sbuild.Parser;

namespace Sbuild.Frontend;

[JsonConverter(typeof(JsonStringEnumConverter<RunMountType>))]
public enum RunMountType { Bind, Cache, Tmpfs, Secret, Ssh }

/// <summary>How concurrent builds share a cache mount: the same directory, one at a time, or a directory each.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<CacheSharing>))]
public enum CacheSharing { Shared, Private, Locked }

/// <summary>
/// One <c>RUN --mount</c>, resolved against the stage: <see cref="Target"/> absolute; a bind's <see cref="Source"/>
/// relative to the build context, or to the filesystem of exec input <see cref="Input"/> (a stage or an image); a
/// cache's relative to its base (<see cref="Input"/>, <c>from=</c>) or to the cache directory.
/// </summary>
public sealed record RunMount(RunMountType Type, string Target)
{
    public string Source { get; init; } = "";
    /// <summary>Index of the exec node's input a bind mount reads (null: the build context).</summary>
    public int? Input { get; init; }
    public bool ReadOnly { get; init; }
    /// <summary>A cache mount's identity (default: its target): builds using the same id share its contents.</summary>
    public string? CacheId { get; init; }
    public CacheSharing Sharing { get; init; } = CacheSharing.Shared;
    /// <summary>Mode, owner and group of a new cache directory (BuildKit's defaults: 0755, 0:0).</summary>
    public uint Mode { get; init; } = 0x1ED;
    /// <summary>
    /// A cache mount that sets <c>mode</c>, <c>uid</c> or <c>gid</c>: BuildKit makes its directory from those (an
    /// "[internal] setting cache mount permissions" step) and keys the cache by the id and that directory, so it does
    /// not share contents with mounts of the same id that set other permissions or none.
    /// </summary>
    public bool CachePermissionsSet { get; init; }
    public uint Uid { get; init; }
    public uint Gid { get; init; }
    /// <summary>A tmpfs mount's size limit in bytes (null: the kernel's default).</summary>
    public long? Size { get; init; }
    /// <summary>A secret's id (what <c>--secret id=…</c> provides), or an ssh mount's (what <c>--ssh ID=…</c> forwards; default "default").</summary>
    public string? SecretId { get; init; }
    /// <summary>A secret exposed as this environment variable (then <see cref="RunMount.Target"/> may be empty: no file).</summary>
    public string? SecretEnv { get; init; }
    /// <summary>A secret or ssh agent that must be provided; a missing optional one is simply absent.</summary>
    public bool Required { get; init; }
}

/// <summary>BuildKit's <c>--mount</c> syntax (dockerfile frontend, runmount): CSV key=value fields.</summary>
public static class RunMountParser
{
    /// <param name="fromStage">Finds the node a <c>from=</c> names (a stage or an image) and returns its input index.</param>
    /// <param name="sshIndex">How many ssh mounts this RUN has before this one (the default target is /run/buildkit/ssh_agent.N).</param>
    public static RunMount Parse(string text, string workdir, Func<string, int> fromStage, RunInstruction run, int sshIndex = 0)
    {
        DockerfileException Error(string problem) =>
            new(ErrorCode.DockerfileSyntax, run.Location, $"invalid --mount={text}: {problem}", run.Original);

        var fields = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var field in OptionFields.Split(text, p => Error(p)))
        {
            var eq = field.IndexOf('=');
            var key = (eq < 0 ? field : field[..eq]).Trim().ToLowerInvariant();
            if (!fields.TryAdd(key, eq < 0 ? null : field[(eq + 1)..].Trim())) throw Error($"{key} is given more than once");
        }
        string? Take(params string[] names)
        {
            string? value = null;
            foreach (var name in names)
                if (fields.Remove(name, out var v)) value = v ?? "";
            return value;
        }
        bool? Flag(params string[] names)
        {
            foreach (var name in names)
                if (fields.Remove(name, out var v))
                    return v is null || v.Length == 0 ? true
                        : bool.TryParse(v, out var b) ? b : throw Error($"{name} must be true or false, not \"{v}\"");
            return null;
        }
        uint? Number(string name, int radix)
        {
            if (Take(name) is not { } v) return null;
            try { return Convert.ToUInt32(v, radix); }
            catch (Exception e) when (e is FormatException or OverflowException or ArgumentException) { throw Error($"{name}={v} is not a valid number"); }
        }

        var typeText = Take("type") ?? "bind";
        var type = typeText switch
        {
            "bind" => RunMountType.Bind,
            "cache" => RunMountType.Cache,
            "tmpfs" => RunMountType.Tmpfs,
            "secret" => RunMountType.Secret,
            "ssh" => RunMountType.Ssh,
            _ => throw Error($"unknown mount type \"{typeText}\" (bind, cache, tmpfs, secret or ssh)"),
        };
        var target = Take("target", "dst", "destination") is { Length: > 0 } t ? t
            : type == RunMountType.Secret ? ""
            : type == RunMountType.Ssh ? $"/run/buildkit/ssh_agent.{sshIndex}"
            : throw Error("target= is required");
        if (target.Length > 0) target = RootPath.Clean(target.StartsWith('/') ? target : workdir.TrimEnd('/') + "/" + target);
        var readWrite = Flag("readwrite", "rw");
        var readOnly = Flag("readonly", "ro");
        var mount = new RunMount(type, target) { ReadOnly = readOnly ?? (readWrite is { } rw ? !rw : type == RunMountType.Bind) };

        var source = Take("source", "src");
        var from = Take("from");
        switch (type)
        {
            case RunMountType.Bind:
                mount = mount with { Source = RootPath.Clean("/" + (source ?? "")).TrimStart('/'), Input = from is null ? null : fromStage(from) };
                break;
            case RunMountType.Cache:
                var sharing = Take("sharing") ?? "shared";
                var permissionsSet = fields.ContainsKey("mode") || fields.ContainsKey("uid") || fields.ContainsKey("gid");
                mount = mount with
                {
                    Source = RootPath.Clean("/" + (source ?? "")).TrimStart('/'),
                    Input = from is null ? null : fromStage(from),
                    CacheId = Take("id") is { Length: > 0 } id ? id : target,
                    Sharing = sharing switch
                    {
                        "shared" => CacheSharing.Shared, "private" => CacheSharing.Private, "locked" => CacheSharing.Locked,
                        _ => throw Error($"sharing must be shared, private or locked, not \"{sharing}\""),
                    },
                    Mode = Number("mode", 8) ?? 0x1ED, Uid = Number("uid", 10) ?? 0, Gid = Number("gid", 10) ?? 0,
                    CachePermissionsSet = permissionsSet,
                };
                break;
            case RunMountType.Secret:
                // BuildKit: the id defaults to the target's base name; the file goes to /run/secrets/ID unless env= alone is asked.
                var secretId = Take("id") is { Length: > 0 } given ? given : target.Length > 0 ? Path.GetFileName(target) : throw Error("id= or target= is required");
                var secretEnv = Take("env") is { Length: > 0 } envName ? envName : null;
                mount = mount with
                {
                    Target = target.Length > 0 || secretEnv is not null ? target : "/run/secrets/" + secretId,
                    SecretId = secretId, SecretEnv = secretEnv, ReadOnly = true,
                    Required = Flag("required") ?? false,
                    Mode = Number("mode", 8) ?? 0x100, Uid = Number("uid", 10) ?? 0, Gid = Number("gid", 10) ?? 0,
                };
                break;
            case RunMountType.Ssh:
                mount = mount with
                {
                    SecretId = Take("id") is { Length: > 0 } agent ? agent : "default", ReadOnly = false,
                    Required = Flag("required") ?? false,
                    Mode = Number("mode", 8) ?? 0x180, Uid = Number("uid", 10) ?? 0, Gid = Number("gid", 10) ?? 0,
                };
                break;
            case RunMountType.Tmpfs:
                if (Take("size") is { } size)
                    mount = mount with { Size = long.TryParse(size, NumberStyles.None, CultureInfo.InvariantCulture, out var bytes) ? bytes : throw Error($"size={size} is not a number of bytes") };
                break;
        }
        if (fields.Count > 0) throw Error($"unexpected key \"{fields.Keys.First()}\" for type={typeText}");
        return mount;
    }
}

using System.Text;
using Sbuild.Core;

namespace Sbuild.Engine;

/// <summary>
/// A <c>--secret</c>: where the value of secret <see cref="Id"/> is read when a RUN mounts it (a file, or an environment
/// variable of sbuild's process). The value is never stored: not in the op, a key, a layer, the history or the store.
/// </summary>
public sealed record BuildSecret(string Id, string? FilePath, string? EnvironmentVariable)
{
    public byte[] ReadValue()
    {
        if (FilePath is { } path)
        {
            try
            {
                return File.ReadAllBytes(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new SbuildException(ErrorCode.InvalidOption, $"--secret id={Id}: cannot read {path}: {e.Message}");
            }
        }
        return Environment.GetEnvironmentVariable(EnvironmentVariable!) is { } value ? Encoding.UTF8.GetBytes(value)
            : throw new SbuildException(ErrorCode.InvalidOption, $"--secret id={Id}: the environment variable {EnvironmentVariable} is not set");
    }

    /// <summary>buildx's syntax: <c>id=ID,src=FILE</c> (or <c>source=</c>), <c>id=ID,env=VAR</c>, <c>type=file|env</c>; a bare
    /// <c>id=ID</c> reads the environment variable ID if it is set, else the file ID.</summary>
    public static BuildSecret Parse(string value, string flag)
    {
        SbuildException Error(string problem) => new(ErrorCode.InvalidOption, $"invalid {flag} \"{value}\": {problem} (expected id=ID,src=FILE or id=ID,env=VAR)");
        var fields = OptionFields.Parse(value, Error);
        if (fields.Remove("source", out var source) && !fields.TryAdd("src", source)) throw Error("\"source\" is given more than once");
        var id = fields.Remove("id", out var i) && i.Length > 0 ? i : throw Error("id= is required");
        fields.Remove("type", out var type);
        fields.Remove("src", out var src);
        fields.Remove("env", out var env);
        if (fields.Count > 0) throw Error($"unknown key \"{fields.Keys.First()}\"");
        if (src is not null && env is not null) throw Error("give src= or env=, not both");
        return (type, src, env) switch
        {
            (null or "file", { } file, null) => new BuildSecret(id, Path.GetFullPath(file), null),
            (null or "env", null, { } variable) => new BuildSecret(id, null, variable),
            ("env", null, null) => new BuildSecret(id, null, id),
            ("file", null, null) => new BuildSecret(id, Path.GetFullPath(id), null),
            (null, null, null) => Environment.GetEnvironmentVariable(id) is not null ? new BuildSecret(id, null, id) : new BuildSecret(id, Path.GetFullPath(id), null),
            _ => throw Error($"type must be file or env, not \"{type}\""),
        };
    }
}

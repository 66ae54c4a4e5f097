using System.Text.Json.Serialization;
using Sbuild.Core;

namespace Sbuild.Runner;

/// <summary>Probe verdicts remembered across processes, keyed by the runtime binary's path, size and mtime so that
/// upgrading or replacing the binary probes it again. A missing or unreadable file just means "probe again".</summary>
internal sealed class RuntimeProbeCache(string file)
{
    private readonly VerdictFile<RuntimeProbeCacheFile, RuntimeVerdict> _file = new(file, RuntimeProbeCacheJsonContext.Default.RuntimeProbeCacheFile,
        f => f.Runtimes, verdicts => new RuntimeProbeCacheFile { Runtimes = verdicts });

    public RuntimeVerdict? Find(string runtimePath)
    {
        var key = RuntimeVerdict.KeyOf(runtimePath);
        return key is null ? null : _file.Find(v => v.Path == key.Path && v.Size == key.Size && v.Modified == key.Modified);
    }

    public void Store(RuntimeVerdict verdict) => _file.Store(verdict, v => v.Path == verdict.Path);
}

/// <summary>Whether the runtime at <see cref="Path"/> (as it was: <see cref="Size"/>, <see cref="Modified"/>) ran the probe.</summary>
internal sealed record RuntimeVerdict
{
    [JsonPropertyName("path")] public required string Path { get; init; }
    [JsonPropertyName("size")] public required long Size { get; init; }
    [JsonPropertyName("modified")] public required DateTime Modified { get; init; }
    [JsonPropertyName("works")] public required bool Works { get; init; }
    [JsonPropertyName("failure")] public string? Failure { get; init; }

    /// <summary>The identity fields of a binary as it is now, or null when it cannot be read.</summary>
    public static RuntimeVerdict? KeyOf(string runtimePath)
    {
        var info = new FileInfo(runtimePath);
        if (!info.Exists)
            return null;
        // Follow a symlink (e.g. /usr/bin/runc -> runc.amd64) so replacing the target counts as a new binary.
        if (info.ResolveLinkTarget(returnFinalTarget: true) is FileInfo { Exists: true } target)
            info = target;
        return new RuntimeVerdict { Path = runtimePath, Size = info.Length, Modified = info.LastWriteTimeUtc, Works = false };
    }
}

internal sealed record RuntimeProbeCacheFile
{
    [JsonPropertyName("runtimes")] public IReadOnlyList<RuntimeVerdict> Runtimes { get; init; } = [];
}

[JsonSourceGenerationOptions(WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(RuntimeProbeCacheFile))]
internal sealed partial class RuntimeProbeCacheJsonContext : JsonSerializerContext;

using System.Text.Json;

namespace Sbuild.Runner;

/// <summary>Reads the errors a runtime wrote to its <c>--log-format json</c> log: present only when the runtime itself
/// failed (bad config, missing executable, cgroup trouble), never for a process that merely exited non-zero.</summary>
internal static class RuntimeLog
{
    public static IReadOnlyList<string> Errors(string logFile)
    {
        if (!File.Exists(logFile))
            return [];
        var errors = new List<string>();
        foreach (var line in File.ReadLines(logFile))
        {
            if (string.IsNullOrWhiteSpace(line))
                continue;
            RuntimeLogEntry? entry;
            try
            {
                entry = JsonSerializer.Deserialize(line, RuntimeSpecJsonContext.Default.RuntimeLogEntry);
            }
            catch (JsonException)
            {
                continue;
            }
            if (entry is { Level: "error" or "fatal", Message: { Length: > 0 } message })
                errors.Add(message);
        }
        return errors;
    }
}

namespace Sbuild.Runner;

/// <summary>
/// The kernel's count of processes its OOM killer has ended since boot (<c>oom_kill</c> in /proc/vmstat, Linux 4.13+),
/// over every cgroup. A step that died of SIGKILL while this count rose was ended by the OOM killer. The container's own
/// cgroup counts its kills too (memory.events on cgroup v2, memory.oom_control on v1), but the runtime deletes that
/// cgroup as the container exits, before sbuild could read it; the global count is what is left.
/// </summary>
public static class OomKills
{
    /// <summary>The count now; null when the kernel does not report it.</summary>
    public static long? Count()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/vmstat"))
                if (line.StartsWith("oom_kill ", StringComparison.Ordinal) && long.TryParse(line.AsSpan("oom_kill ".Length), out var count))
                    return count;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // No /proc: nothing to tell.
        }
        return null;
    }
}

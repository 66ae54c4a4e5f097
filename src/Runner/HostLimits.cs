namespace Sbuild.Runner;

/// <summary>What this process may hand to a container: raising an rlimit above our own hard limit needs
/// CAP_SYS_RESOURCE, which a root shell in a restricted VM or container may lack.</summary>
internal static class HostLimits
{
    private const int CapSysResource = 24;

    /// <summary><paramref name="wanted"/> if we may grant it, else our own hard limit on open files.</summary>
    public static ulong OpenFilesLimit(ulong wanted)
    {
        if (HasCapability(CapSysResource))
            return wanted;
        return OpenFilesHardLimit() is { } hard && hard < wanted ? hard : wanted;
    }

    /// <summary>From the "Max open files  SOFT  HARD  files" row of /proc/self/limits; null when unreadable.</summary>
    private static ulong? OpenFilesHardLimit()
    {
        foreach (var line in ReadLines("/proc/self/limits"))
        {
            if (!line.StartsWith("Max open files", StringComparison.Ordinal))
                continue;
            var fields = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length >= 2 && ulong.TryParse(fields[1], out var hard))
                return hard;
            return fields.Length >= 2 && fields[1] == "unlimited" ? ulong.MaxValue : null;
        }
        return null;
    }

    /// <summary>Which cgroup controllers the runtime can use here: a cgroup v1 hierarchy of the controller (legacy or
    /// hybrid hosts, where runtimes use v1), else the unified (v2) root's controller list.</summary>
    public static CgroupSupport Cgroups()
    {
        var unified = ReadLines("/sys/fs/cgroup/cgroup.controllers").SelectMany(line => line.Split(' ')).ToHashSet(StringComparer.Ordinal);
        bool Has(string controller) => File.Exists($"/sys/fs/cgroup/{controller}/cgroup.procs") || unified.Contains(controller);
        // v1 limits swap only with swap accounting (memory.memsw.*); on v2 a runtime skips a swap limit the kernel lacks.
        var swap = File.Exists("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes") || unified.Contains("memory");
        return new CgroupSupport(Has("pids"), Has("memory"), swap);
    }

    private static bool HasCapability(int bit) => (CapabilityMask("CapEff:") & 1UL << bit) != 0;

    /// <summary>Our capability bounding set: what a privileged container may be given (a VM or container may withhold some).</summary>
    public static ulong CapabilityBounds() => CapabilityMask("CapBnd:");

    private static ulong CapabilityMask(string field)
    {
        foreach (var line in ReadLines("/proc/self/status"))
        {
            if (line.StartsWith(field, StringComparison.Ordinal) &&
                ulong.TryParse(line[field.Length..].Trim(), System.Globalization.NumberStyles.HexNumber, null, out var mask))
                return mask;
        }
        return 0;
    }

    private static IEnumerable<string> ReadLines(string path)
    {
        try
        {
            return File.ReadAllLines(path);
        }
        catch (IOException)
        {
            return [];
        }
    }
}

/// <summary>What the host's cgroups can limit: tasks, memory, and memory with swap.</summary>
public sealed record CgroupSupport(bool Pids, bool Memory, bool Swap)
{
    public static CgroupSupport All { get; } = new(true, true, true);
}

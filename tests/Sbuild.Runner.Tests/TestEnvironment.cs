using Sbuild.Runner;

namespace Sbuild.Runner.Tests;

/// <summary>Real tools the integration tests need; a missing one fails the test with what to install.</summary>
internal static class TestEnvironment
{
    public const string Install = "apt-get install busybox-static runc";

    public static IReadOnlyList<string> PathDirectories =>
        RuntimeSelector.SplitPath(Environment.GetEnvironmentVariable("PATH") + ":/usr/sbin:/sbin");

    /// <summary>The host's runc, for tests that pin the runtime instead of probing.</summary>
    public static OciRuntime Runc()
    {
        var selector = new RuntimeSelector(new RuntimeSelectionOptions
        {
            SearchDirectories = PathDirectories, CacheFile = "/nonexistent/unused.json", WorkDirectory = "/nonexistent",
        });
        var path = selector.Find("runc") ?? throw new InvalidOperationException($"runc is not on PATH: {Install}");
        return new OciRuntime("runc", path);
    }

    /// <summary>A statically linked busybox (a dynamic one would need the host's libraries inside the rootfs).</summary>
    public static string StaticBusybox()
    {
        foreach (var candidate in (string[])["/bin/busybox", "/usr/bin/busybox"])
        {
            if (File.Exists(candidate) && !Elf.HasInterpreter(candidate))
                return candidate;
        }
        throw new InvalidOperationException($"no statically linked busybox at /bin/busybox: {Install}");
    }
}

/// <summary>Just enough ELF reading to tell a static executable (no PT_INTERP program header) from a dynamic one.</summary>
internal static class Elf
{
    private const uint PtInterp = 3;

    public static bool HasInterpreter(string path)
    {
        using var reader = new BinaryReader(File.OpenRead(path));
        var ident = reader.ReadBytes(16);
        if (ident.Length < 16 || ident[0] != 0x7f || ident[1] != (byte)'E' || ident[2] != (byte)'L' || ident[3] != (byte)'F' || ident[4] != 2)
            throw new InvalidOperationException($"{path} is not a 64-bit ELF executable");
        reader.BaseStream.Position = 0x20;
        var programHeaders = reader.ReadInt64();
        reader.BaseStream.Position = 0x36;
        var entrySize = reader.ReadUInt16();
        var count = reader.ReadUInt16();
        for (var i = 0; i < count; i++)
        {
            reader.BaseStream.Position = programHeaders + (long)i * entrySize;
            if (reader.ReadUInt32() == PtInterp)
                return true;
        }
        return false;
    }
}

/// <summary>A scratch directory with a busybox-only rootfs (no /etc, /proc, /dev, /sys) and a runner work dir.</summary>
public sealed class BusyboxSandbox : IDisposable
{
    private static readonly string[] Applets =
        ["sh", "echo", "cat", "id", "hostname", "ls", "sleep", "pwd", "true", "grep", "mkdir", "touch", "ip", "env", "wc", "unshare"];

    public BusyboxSandbox()
    {
        Root = Directory.CreateTempSubdirectory("sbuild-runner-test-").FullName;
        WorkDirectory = Path.Join(Root, "work");
        Rootfs = CreateRootfs("rootfs");
    }

    /// <summary>Another busybox rootfs next to <see cref="Rootfs"/>.</summary>
    public string CreateRootfs(string name)
    {
        var rootfs = Path.Join(Root, name);
        var bin = Directory.CreateDirectory(Path.Join(rootfs, "bin")).FullName;
        File.Copy(TestEnvironment.StaticBusybox(), Path.Join(bin, "busybox"));
        foreach (var applet in Applets)
            File.CreateSymbolicLink(Path.Join(bin, applet), "busybox");
        return rootfs;
    }

    public string Root { get; }
    public string Rootfs { get; }
    public string WorkDirectory { get; }

    public ContainerRunner Runner() =>
        new(TestEnvironment.Runc(), new ContainerRunnerOptions { WorkDirectory = WorkDirectory });

    public RunSpec Spec(params string[] args) => new()
    {
        RootfsPath = Rootfs,
        Args = args,
        Env = ["PATH=/bin"],
    };

    /// <summary>Runs and returns the exit code plus stdout lines (stderr lines prefixed "E:").</summary>
    public async Task<(int ExitCode, List<string> Lines)> RunAsync(RunSpec spec, CancellationToken ct = default)
    {
        var lines = new List<string>();
        var output = new RunOutput((stream, line) => lines.Add(stream == OutputStream.Stderr ? "E:" + line : line));
        var exitCode = await Runner().RunAsync(spec, output, ct);
        return (exitCode, lines);
    }

    /// <summary>Names directly under the rootfs, sorted.</summary>
    public string[] RootEntries() =>
        [.. Directory.EnumerateFileSystemEntries(Rootfs).Select(Path.GetFileName).Order(StringComparer.Ordinal)!];

    public bool WorkDirectoryIsEmpty() =>
        !Directory.Exists(WorkDirectory) || !Directory.EnumerateFileSystemEntries(WorkDirectory).Any();

    public void Dispose() => Directory.Delete(Root, recursive: true);
}

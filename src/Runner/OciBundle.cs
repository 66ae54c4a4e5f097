using System.Runtime.Versioning;
using System.Text;
using Sbuild.Core;

namespace Sbuild.Runner;

/// <summary>A runtime bundle directory for one run: config.json, the hosts and resolv.conf files it bind-mounts,
/// the runtime's state root and log. The rootfs is elsewhere (the caller's), so deleting the bundle is always safe.</summary>
internal sealed class OciBundle : IDisposable
{
    private const UnixFileMode ReadableFile =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    private OciBundle(string directory, string containerId)
    {
        Directory = directory;
        ContainerId = containerId;
    }

    public string Directory { get; }
    public string ContainerId { get; }
    public string StateRoot => Path.Join(Directory, "state");
    public string LogFile => Path.Join(Directory, "runtime.log");

    /// <summary>The runtime binary that runs the bundle, so that a container left by a killed sbuild can be deleted by the runtime whose state it is.</summary>
    public string RuntimeFile => Path.Join(Directory, "runtime");

    /// <summary>True while the runtime still has state for the container (it was not deleted by <c>run</c>).</summary>
    public bool HasContainerState => System.IO.Directory.Exists(Path.Join(StateRoot, ContainerId));

    [SupportedOSPlatform("linux")]
    /// <summary>How the names of bundles made with <paramref name="namePrefix"/> (and of their containers) begin.</summary>
    public static string NameStart(string namePrefix) => "sbuild-" + namePrefix;

    public static OciBundle Create(string workDirectory, string namePrefix, string runtimePath, RunSpec spec, string hostResolvConf, ulong openFilesLimit,
        ulong grantableCapabilities = ulong.MaxValue, CgroupSupport? cgroups = null)
    {
        System.IO.Directory.CreateDirectory(workDirectory);
        var id = NameStart(namePrefix) + RandomNames.Hex(8);
        var directory = Path.Join(Path.GetFullPath(workDirectory), id);
        System.IO.Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var bundle = new OciBundle(directory, id);
        try
        {
            var files = new BundleFiles(Path.Join(directory, "hosts"), Path.Join(directory, "resolv.conf"));
            WriteFile(bundle.RuntimeFile, runtimePath);
            WriteFile(files.HostsFile, HostsFile.Render(spec.Hostname, spec.ExtraHosts));
            WriteFile(files.ResolvConfFile, ResolvConf.ForContainer(hostResolvConf, spec.Network));
            var config = OciSpecBuilder.Build(spec with { RootfsPath = Path.GetFullPath(spec.RootfsPath) }, id, files, openFilesLimit, grantableCapabilities, cgroups);
            File.WriteAllBytes(Path.Join(directory, "config.json"), config);
            return bundle;
        }
        catch
        {
            bundle.Dispose();
            throw;
        }
    }

    public void Dispose() => TreeRemover.Delete(Directory);

    [SupportedOSPlatform("linux")]
    private static void WriteFile(string path, string content)
    {
        using var stream = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = ReadableFile,
        });
        stream.Write(Encoding.UTF8.GetBytes(content));
    }
}

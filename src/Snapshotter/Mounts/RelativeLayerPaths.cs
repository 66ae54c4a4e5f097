using System.Runtime.ExceptionServices;
using System.Text;
using Sbuild.Core;

namespace Sbuild.Snapshotter;

/// <summary>
/// mount(2) copies at most one page (4096 bytes) of options, which the lowerdir list of a deep chain exceeds: 250
/// layers of <c>/var/lib/sbuild/snapshots/1234/fs</c> take 9 KB. Naming each layer as <c>/proc/self/fd/N</c> of an
/// O_PATH descriptor only halves that (about 18 bytes a layer, 220 layers). Instead, as Docker's overlay2 driver does,
/// the layer paths are written relative to the directory they share (<c>1234/fs</c>, 8 bytes a layer) and the mount is
/// made from that directory as working directory. The working directory is per process, so the mount runs on a
/// thread of its own that first unshares its file system attributes (unshare(CLONE_FS)): its chdir moves no other
/// thread, and the thread ends with the mount. This fits any chain overlayfs itself accepts (500 layers at most) while
/// snapshot ids have up to four digits, and about 400 layers beyond.
/// </summary>
internal static class RelativeLayerPaths
{
    private static readonly string[] PathOptions = ["lowerdir=", "upperdir=", "workdir="];

    /// <summary>Mounts overlay <paramref name="data"/> with its directories relative to their common parent; throws if even that exceeds a page.</summary>
    public static void Mount(string source, string target, string fsType, ulong flags, string data, string description)
    {
        var options = OverlayOptionText.Split(data, ',');
        var paths = options.SelectMany(PathsOf).ToList();
        var common = CommonDirectory(paths);
        var relative = string.Join(',', options.Select(option => Relativize(option, common)));
        if (Encoding.UTF8.GetByteCount(relative) >= Environment.SystemPageSize)
            throw new SbuildException(ErrorCode.MountFailed,
                $"cannot mount {description} on {target}: its options exceed one memory page even with layer paths relative to {common}");

        ExceptionDispatchInfo? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                MountSyscalls.UnshareFileSystemAttributes();
                MountSyscalls.ChangeDirectory(common);
                MountSyscalls.Mount(source, target, fsType, flags, relative, description);
            }
            catch (Exception e)
            {
                failure = ExceptionDispatchInfo.Capture(e);
            }
        }) { Name = "sbuild overlay mount" };
        thread.Start();
        thread.Join();
        failure?.Throw();
    }

    private static IEnumerable<string> PathsOf(string option)
    {
        if (PathOptions.FirstOrDefault(p => option.StartsWith(p, StringComparison.Ordinal)) is not { } prefix) return [];
        return OverlayOptionText.Split(option[prefix.Length..], ':').Select(OverlayOptionText.Unescape);
    }

    private static string Relativize(string option, string common)
    {
        if (PathOptions.FirstOrDefault(p => option.StartsWith(p, StringComparison.Ordinal)) is not { } prefix) return option;
        var paths = OverlayOptionText.Split(option[prefix.Length..], ':')
            .Select(escaped => OverlayOptionText.Escape(Path.GetRelativePath(common, OverlayOptionText.Unescape(escaped))));
        return prefix + string.Join(':', paths);
    }

    /// <summary>The deepest directory containing every path (all absolute).</summary>
    private static string CommonDirectory(IReadOnlyList<string> paths)
    {
        var common = Path.GetDirectoryName(paths[0].TrimEnd('/')) ?? "/";
        while (!paths.All(p => p.StartsWith(common.TrimEnd('/') + "/", StringComparison.Ordinal)))
            common = Path.GetDirectoryName(common) ?? "/";
        return common;
    }
}

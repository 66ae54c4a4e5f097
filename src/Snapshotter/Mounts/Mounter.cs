using System.Text;
using Sbuild.Core;

namespace Sbuild.Snapshotter;

/// <summary>Performs <see cref="Snapshotter.Mount"/>s with mount(2) and undoes them with umount2(2). Needs root (CAP_SYS_ADMIN).</summary>
public static class Mounter
{
    /// <summary>
    /// Mounts <paramref name="mounts"/> on <paramref name="target"/> in order (each on top of the previous). Dispose the
    /// result to unmount them all; if one fails, those already mounted are unmounted before the error is thrown.
    /// </summary>
    public static MountedTarget MountAll(IReadOnlyList<Mount> mounts, string target)
    {
        var mounted = new MountedTarget(target);
        try
        {
            foreach (var mount in mounts)
            {
                Mount(mount, target);
                mounted.Count++;
            }
            return mounted;
        }
        catch
        {
            mounted.Dispose();
            throw;
        }
    }

    public static void Mount(Mount mount, string target)
    {
        var options = MountOptions.Parse(mount.Options);
        if (mount.Type == "bind" && !options.IsBind) options = options with { Flags = options.Flags | MountOptions.Bind };
        var description = Describe(mount);

        if (options.IsBind) MountBind(mount.Source, target, options, description);
        else MountFileSystem(mount, target, options, description);

        if (options.Propagation != 0)
            MountSyscalls.Mount("", target, null, options.Propagation, null, description);
    }

    /// <summary>Unmounts the file system mounted last on <paramref name="target"/>; <paramref name="detach"/> makes it lazy (MNT_DETACH).</summary>
    public static void Unmount(string target, bool detach = false) =>
        MountSyscalls.Unmount(target, detach ? MountSyscalls.DetachFlag : 0);

    private static void MountBind(string source, string target, MountOptions options, string description)
    {
        MountSyscalls.Mount(source, target, null, options.Flags & (MountOptions.Bind | MountOptions.Recursive), null, description);
        if (options.BindRemountFlags == 0) return;
        // The kernel ignores ro, nosuid … on the bind call itself; they take effect through a remount of the bind.
        try
        {
            MountSyscalls.Mount("", target, null, MountOptions.Remount | MountOptions.Bind | options.BindRemountFlags, null, description);
        }
        catch
        {
            Unmount(target, detach: true);
            throw;
        }
    }

    private static void MountFileSystem(Mount mount, string target, MountOptions options, string description)
    {
        var data = options.Data;
        if (data is null || mount.Type != "overlay" || Encoding.UTF8.GetByteCount(data) < Environment.SystemPageSize)
            MountSyscalls.Mount(mount.Source, target, mount.Type, options.Flags, data, description);
        else
            RelativeLayerPaths.Mount(mount.Source, target, mount.Type, options.Flags, data, description);
    }

    /// <summary>Type and source plus the start of the options: enough to recognise the mount without flooding the message.</summary>
    private static string Describe(Mount mount)
    {
        const int MaxOptionText = 300;
        var options = string.Join(',', mount.Options);
        if (options.Length > MaxOptionText) options = options[..MaxOptionText] + "…";
        return $"{mount.Type} {mount.Source} ({options})";
    }
}

/// <summary>File systems mounted on one target by <see cref="Mounter.MountAll"/>; disposing unmounts them, last first.</summary>
public sealed class MountedTarget : IDisposable
{
    internal MountedTarget(string target) => Target = target;

    public string Target { get; }

    internal int Count { get; set; }

    /// <summary>Unmounts everything this instance mounted. Throws <see cref="SbuildException"/> (MountFailed) if the target stays busy.</summary>
    public void Dispose()
    {
        for (; Count > 0; Count--) Mounter.Unmount(Target);
    }
}

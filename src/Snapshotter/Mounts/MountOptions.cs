namespace Sbuild.Snapshotter;

/// <summary>
/// <see cref="Mount.Options"/> split the way mount(8) splits them: flag names become MS_* bits, propagation names a
/// separate propagation change, and everything else is joined into the file system's data string.
/// </summary>
internal sealed record MountOptions(ulong Flags, ulong Propagation, string? Data)
{
    public const ulong ReadOnly = 0x1, Remount = 0x20, Bind = 0x1000, Recursive = 0x4000;

    private static readonly Dictionary<string, (bool Clear, ulong Flag)> FlagNames = new(StringComparer.Ordinal)
    {
        ["defaults"] = (false, 0),
        ["ro"] = (false, ReadOnly),
        ["rw"] = (true, ReadOnly),
        ["nosuid"] = (false, 0x2),
        ["suid"] = (true, 0x2),
        ["nodev"] = (false, 0x4),
        ["dev"] = (true, 0x4),
        ["noexec"] = (false, 0x8),
        ["exec"] = (true, 0x8),
        ["sync"] = (false, 0x10),
        ["async"] = (true, 0x10),
        ["dirsync"] = (false, 0x80),
        ["noatime"] = (false, 0x400),
        ["atime"] = (true, 0x400),
        ["nodiratime"] = (false, 0x800),
        ["diratime"] = (true, 0x800),
        ["relatime"] = (false, 0x200000),
        ["norelatime"] = (true, 0x200000),
        ["strictatime"] = (false, 0x1000000),
        ["bind"] = (false, Bind),
        ["rbind"] = (false, Bind | Recursive),
    };

    private static readonly Dictionary<string, ulong> PropagationNames = new(StringComparer.Ordinal)
    {
        ["private"] = 0x40000,
        ["rprivate"] = 0x40000 | Recursive,
        ["slave"] = 0x80000,
        ["rslave"] = 0x80000 | Recursive,
        ["shared"] = 0x100000,
        ["rshared"] = 0x100000 | Recursive,
        ["unbindable"] = 0x20000,
        ["runbindable"] = 0x20000 | Recursive,
    };

    public bool IsBind => (Flags & Bind) != 0;

    /// <summary>Flags that a bind mount only honours when applied by a second, remounting call.</summary>
    public ulong BindRemountFlags => Flags & ~(Bind | Recursive);

    public static MountOptions Parse(IEnumerable<string> options)
    {
        ulong flags = 0, propagation = 0;
        var data = new List<string>();
        foreach (var option in options)
        {
            if (FlagNames.TryGetValue(option, out var f)) flags = f.Clear ? flags & ~f.Flag : flags | f.Flag;
            else if (PropagationNames.TryGetValue(option, out var p)) propagation = p;
            else data.Add(option);
        }
        return new MountOptions(flags, propagation, data.Count == 0 ? null : string.Join(',', data));
    }
}

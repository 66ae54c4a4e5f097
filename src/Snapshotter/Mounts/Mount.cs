namespace Sbuild.Snapshotter;

/// <summary>
/// One mount as plain data, like a line of fstab: snapshotters return these and the caller decides where and when
/// to mount them (<see cref="Mounter"/>, or a runtime). <paramref name="Type"/> is the file system type ("overlay",
/// "bind"), <paramref name="Options"/> mixes flag names ("ro", "rbind") and file system data ("lowerdir=…").
/// </summary>
public sealed record Mount(string Type, string Source, IReadOnlyList<string> Options)
{
    /// <summary>Mounts are values: equal when type, source and options (in order) are.</summary>
    public bool Equals(Mount? other) =>
        other is not null && Type == other.Type && Source == other.Source && Options.SequenceEqual(other.Options);

    public override int GetHashCode() => HashCode.Combine(Type, Source, Options.Count);

    /// <summary>An <c>mount -t TYPE -o OPTIONS SOURCE</c> like rendering, for logs and error messages.</summary>
    public override string ToString() => $"{Type} {Source} [{string.Join(',', Options)}]";
}

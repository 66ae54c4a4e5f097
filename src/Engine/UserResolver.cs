using Sbuild.Core;
using Sbuild.Runner;

namespace Sbuild.Engine;

/// <summary>
/// Turns a USER value (<c>name</c>, <c>uid</c>, <c>name:group</c>, <c>uid:gid</c>) into numeric ids by reading the
/// rootfs's /etc/passwd and /etc/group, as runc's user lookup does; supplementary groups come from /etc/group.
/// </summary>
public static class UserResolver
{
    public static RunUser Resolve(string rootfs, string? user)
    {
        // No USER means uid 0, which needs no passwd file (FROM scratch images usually have none), as in BuildKit.
        if (string.IsNullOrEmpty(user)) user = "0";
        var colon = user.IndexOf(':');
        var userPart = colon < 0 ? user : user[..colon];
        var groupPart = colon < 0 ? null : user[(colon + 1)..];

        var passwd = ReadDatabase(rootfs, "/etc/passwd");
        uint uid;
        uint? primaryGid = null;
        string? userName = null;
        if (uint.TryParse(userPart, out uid))
        {
            var entry = passwd.FirstOrDefault(p => p.Length > 3 && p[2] == userPart);
            if (entry is not null) { userName = entry[0]; primaryGid = uint.TryParse(entry[3], out var g) ? g : null; }
        }
        else
        {
            var entry = passwd.FirstOrDefault(p => p.Length > 3 && p[0] == userPart)
                ?? throw new SbuildException(ErrorCode.InvalidUser, $"unable to find user {userPart}: no matching entries in passwd file");
            uid = uint.Parse(entry[2]);
            userName = entry[0];
            primaryGid = uint.TryParse(entry[3], out var g) ? g : null;
        }

        var groups = ReadDatabase(rootfs, "/etc/group");
        uint gid;
        if (groupPart is null) gid = primaryGid ?? 0;
        else if (!uint.TryParse(groupPart, out gid))
        {
            var entry = groups.FirstOrDefault(g => g.Length > 2 && g[0] == groupPart)
                ?? throw new SbuildException(ErrorCode.InvalidUser, $"unable to find group {groupPart}: no matching entries in group file");
            gid = uint.Parse(entry[2]);
        }

        // BuildKit: the groups of /etc/group that list the user by name (only when USER names no group), in file
        // order, and the primary gid first unless among them (its ensureAdditionalGids, from containerd).
        List<uint> additional = groupPart is null && userName is not null
            ? [.. groups.Where(g => g.Length > 3 && g[3].Split(',').Contains(userName) && uint.TryParse(g[2], out _)).Select(g => uint.Parse(g[2]))]
            : [];
        if (!additional.Contains(gid)) additional.Insert(0, gid);
        return new RunUser(uid, gid, additional);
    }

    /// <summary>
    /// Owner for files a build step creates (WORKDIR): like <see cref="Resolve"/>, except that a bare numeric uid
    /// also becomes the gid, as BuildKit's file operations do (checked against docker build: USER 1000 → 1000:1000).
    /// </summary>
    public static (uint Uid, uint Gid) ResolveOwner(string rootfs, string? user)
    {
        if (uint.TryParse(user, out var uid)) return (uid, uid);
        var resolved = Resolve(rootfs, user);
        return (resolved.Uid, resolved.Gid);
    }

    /// <summary>
    /// COPY/ADD <c>--chown=user[:group]</c>: names are looked up in the destination's passwd and group files; without a
    /// group, a name brings its primary group and a bare uid is also the gid (both checked against docker build).
    /// </summary>
    public static (uint Uid, uint Gid) ResolveChown(string rootfs, string chown)
    {
        var colon = chown.IndexOf(':');
        if (colon < 0) return ResolveOwner(rootfs, chown);
        return (Resolve(rootfs, chown[..colon]).Uid, Resolve(rootfs, "0:" + chown[(colon + 1)..]).Gid);
    }

    private static List<string[]> ReadDatabase(string rootfs, string path)
    {
        var host = RootPath.Resolve(rootfs, path, followFinal: true);
        if (!File.Exists(host)) return [];
        return File.ReadLines(host)
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => l.Split(':'))
            .ToList();
    }
}

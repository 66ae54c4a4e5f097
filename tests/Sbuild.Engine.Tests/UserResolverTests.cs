using Sbuild.Core;
using Sbuild.Runner;
using Sbuild.TestSupport;

namespace Sbuild.Engine.Tests;

/// <summary>USER values to numeric ids, read from the rootfs's own /etc/passwd and /etc/group (as runc/BuildKit do).</summary>
public sealed class UserResolverTests : IDisposable
{
    private const string Passwd = """
        root:x:0:0:root:/root:/bin/sh
        daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
        # a comment line
        app:x:1001:1002:App User:/home/app:/bin/sh

        """;

    private const string Group = """
        root:x:0:
        staff:x:50:app,other
        app:x:1002:
        audio:x:29:other
        docker:x:999:other,app

        """;

    private readonly TempDirectory _root = new("sbuild-user-");
    private readonly RootfsBuilder _fs;

    public UserResolverTests() => _fs = new RootfsBuilder(_root.Path);

    public void Dispose() => _root.Dispose();

    private RootfsBuilder WithDatabases() => _fs.File("/etc/passwd", Passwd).File("/etc/group", Group);

    private RunUser Resolve(string? user) => UserResolver.Resolve(_root.Path, user);

    /// <param name="additional">In BuildKit's order: the primary gid first (unless a listed group), then /etc/group's groups naming the user.</param>
    private static void AssertUser(uint uid, uint gid, uint[] additional, RunUser actual)
    {
        Assert.Equal((uid, gid), (actual.Uid, actual.Gid));
        Assert.Equal(additional, actual.AdditionalGids.ToArray());
    }

    [Theory]
    [InlineData("")]
    [InlineData(null)]
    public void No_user_is_root(string? user)
    {
        WithDatabases();

        AssertUser(0, 0, [0], Resolve(user));
    }

    [Theory]
    [InlineData("")]
    [InlineData(null)]
    public void No_user_is_root_even_without_a_passwd_file(string? user)
    {
        // A FROM scratch image has no /etc/passwd; BuildKit's GetUser falls back to 0:0 for the default user.
        AssertUser(0, 0, [0], Resolve(user));
    }

    [Fact]
    public void A_numeric_uid_without_passwd_entry_gets_gid_0()
    {
        WithDatabases();

        AssertUser(1000, 0, [0], Resolve("1000"));
    }

    [Fact]
    public void A_numeric_uid_without_any_passwd_file_gets_gid_0()
    {
        AssertUser(1000, 0, [0], Resolve("1000"));
    }

    [Fact]
    public void A_user_name_gets_its_uid_primary_gid_and_member_groups()
    {
        WithDatabases();

        // app is listed in staff (50) and docker (999), not in audio (29).
        AssertUser(1001, 1002, [1002, 50, 999], Resolve("app"));
    }

    [Fact]
    public void A_numeric_uid_with_a_passwd_entry_gets_that_users_groups()
    {
        WithDatabases();

        AssertUser(1001, 1002, [1002, 50, 999], Resolve("1001"));
    }

    [Fact]
    public void Root_by_name_is_0_0()
    {
        WithDatabases();

        AssertUser(0, 0, [0], Resolve("root"));
    }

    [Fact]
    public void A_name_with_a_group_name_uses_that_group_and_no_supplementary_groups()
    {
        WithDatabases();

        AssertUser(1001, 50, [50], Resolve("app:staff"));
    }

    [Fact]
    public void A_name_with_a_numeric_group_uses_that_gid()
    {
        WithDatabases();

        AssertUser(1001, 4242, [4242], Resolve("app:4242"));
    }

    [Fact]
    public void A_numeric_uid_and_gid_need_no_database()
    {
        AssertUser(1000, 50, [50], Resolve("1000:50"));
    }

    [Fact]
    public void An_unknown_user_name_fails_naming_it()
    {
        WithDatabases();

        var error = Assert.Throws<SbuildException>(() => Resolve("ghost"));

        Assert.Equal(ErrorCode.InvalidUser, error.Code);
        Assert.Contains("ghost", error.Message);
    }

    [Fact]
    public void A_user_name_without_passwd_file_fails_naming_it()
    {
        var error = Assert.Throws<SbuildException>(() => Resolve("app"));

        Assert.Equal(ErrorCode.InvalidUser, error.Code);
        Assert.Contains("app", error.Message);
    }

    [Fact]
    public void An_unknown_group_name_fails_naming_it()
    {
        WithDatabases();

        var error = Assert.Throws<SbuildException>(() => Resolve("app:wheelz"));

        Assert.Equal(ErrorCode.InvalidUser, error.Code);
        Assert.Contains("wheelz", error.Message);
    }

    [Fact]
    public void The_databases_are_read_through_symlinks_inside_the_rootfs()
    {
        // /etc/passwd -> /usr/share/passwd (absolute): must be the rootfs's file, not the host's.
        _fs.File("/usr/share/passwd", "svc:x:777:778::/:/bin/sh\n")
            .File("/usr/share/group", "svc:x:778:\n")
            .Symlink("/etc/passwd", "/usr/share/passwd")
            .Symlink("/etc/group", "/usr/share/group");

        AssertUser(777, 778, [778], Resolve("svc"));
    }
}

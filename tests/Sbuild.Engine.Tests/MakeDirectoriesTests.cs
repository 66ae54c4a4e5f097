using Sbuild.TestSupport;

namespace Sbuild.Engine.Tests;

/// <summary>WORKDIR's mkdir -p: new directories belong to the current user, existing ones are not touched.</summary>
public sealed class MakeDirectoriesTests : IDisposable
{
    private readonly TempDirectory _root = new("sbuild-mkdir-");
    private readonly RootfsBuilder _fs;

    public MakeDirectoriesTests() => _fs = new RootfsBuilder(_root.Path);

    public void Dispose() => _root.Dispose();

    private FileStat Stat(string path) => UnixFs.LStat(_fs.HostPath(path));

    [Fact]
    public void Creates_nested_directories_0755_owned_by_the_given_user()
    {
        FileCopier.MakeDirectories(_root.Path, "/app/data/cache", 1000, 1001);

        foreach (var path in new[] { "/app", "/app/data", "/app/data/cache" })
        {
            var st = Stat(path);
            Assert.Equal((FileKind.Directory, Convert.ToInt32("0755", 8), 1000u, 1001u), (st.Kind, st.Permissions, st.Uid, st.Gid));
        }
    }

    [Fact]
    public void Leaves_existing_directories_alone()
    {
        _fs.Dir("/app", Modes.Octal("0700"), uid: 5, gid: 6);

        FileCopier.MakeDirectories(_root.Path, "/app/sub", 1000, 1000);

        var app = Stat("/app");
        Assert.Equal((Convert.ToInt32("0700", 8), 5u, 6u), (app.Permissions, app.Uid, app.Gid));
        var sub = Stat("/app/sub");
        Assert.Equal((1000u, 1000u), (sub.Uid, sub.Gid));
    }

    [Fact]
    public void An_existing_path_changes_nothing()
    {
        _fs.Dir("/srv", Modes.Octal("0711"), uid: 7, gid: 8);

        FileCopier.MakeDirectories(_root.Path, "/srv", 0, 0);

        var st = Stat("/srv");
        Assert.Equal((Convert.ToInt32("0711", 8), 7u, 8u), (st.Permissions, st.Uid, st.Gid));
    }

    [Fact]
    public void Symlinked_directories_are_followed_inside_the_root()
    {
        _fs.Dir("/real").Symlink("/work", "/real");

        FileCopier.MakeDirectories(_root.Path, "/work/project", 0, 0);

        Assert.Equal(FileKind.Directory, Stat("/real/project").Kind);
        Assert.Equal(FileKind.Symlink, Stat("/work").Kind);
    }
}

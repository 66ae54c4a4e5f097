using Sbuild.Snapshotter;
using static Sbuild.Snapshotter.Tests.TreeBuilder;

namespace Sbuild.Snapshotter.Tests;

/// <summary>The catalog database of a snapshotter root: what it keeps across instances and what it takes over from
/// the catalog.json of earlier sbuild versions.</summary>
public sealed class SnapshotCatalogTests : IDisposable
{
    private readonly SnapshotFixture _fixture = new();

    public void Dispose() => _fixture.Dispose();

    [Fact]
    public void A_catalog_json_of_an_earlier_version_is_moved_into_the_database_and_its_snapshots_still_mount()
    {
        // What sbuild wrote before the catalog moved to SQLite: two committed layers in directories 1 and 2, next id 3.
        var root = _fixture.Root();
        Write(root, "1/fs/a.txt", "from the base");
        Write(root, "2/fs/b.txt", "from the child");
        File.WriteAllText(Path.Combine(root, "catalog.json"), """
            {
              "nextId": 3,
              "snapshots": {
                "base": { "id": 1, "kind": "Committed", "parent": null, "created": "2026-11-01T10:00:00+00:00" },
                "child": { "id": 2, "kind": "Committed", "parent": "base", "created": "2026-11-01T10:00:01.5+00:00" }
              }
            }
            """);
        File.WriteAllText(Path.Combine(root, "catalog.lock"), "");

        using (var snapshotter = new OverlaySnapshotter(root))
        {
            Assert.Equal(["base", "child"], snapshotter.List().Select(s => s.Key));
            Assert.Equal(new SnapshotInfo("child", SnapshotKind.Committed, "base", new DateTimeOffset(2026, 11, 1, 10, 0, 1, 500, TimeSpan.Zero)),
                snapshotter.Stat("child"));
            snapshotter.Prepare("next", "child");
            Assert.Equal(Path.Combine(root, "3"), Path.GetDirectoryName(snapshotter.UpperDir("next"))); // ids go on from nextId
            _fixture.WithMounted(snapshotter.View("look", "child"), tree =>
            {
                Assert.Equal("from the base", Read(tree, "a.txt"));
                Assert.Equal("from the child", Read(tree, "b.txt"));
            });
        }
        Assert.False(File.Exists(Path.Combine(root, "catalog.json")));
        Assert.False(File.Exists(Path.Combine(root, "catalog.lock")));

        using var reopened = new OverlaySnapshotter(root);
        Assert.Equal(["base", "child", "look", "next"], reopened.List().Select(s => s.Key));
    }

    [Fact]
    public void Changes_made_by_one_instance_are_seen_by_another_on_the_same_root()
    {
        using var first = new NativeSnapshotter(_fixture.Root());
        using var second = new NativeSnapshotter(_fixture.Root());
        _fixture.CommitLayer(first, "base", null, tree => Write(tree, "f", "x"));

        Assert.True(second.Exists("base"));
        second.Remove("base");
        Assert.False(first.Exists("base"));
    }
}

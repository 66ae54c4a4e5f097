using Sbuild.Core;
using Sbuild.Engine;
using Sbuild.Snapshotter;

namespace Sbuild.Cli;

/// <summary>The snapshotter of a build: $SBUILD_SNAPSHOTTER (overlay or native) when set, else what the host can mount, announced when it is the copy fallback.</summary>
public static class StoreSnapshotter
{
    private const string Variable = "SBUILD_SNAPSHOTTER";

    public static SnapshotterKind Choose(string storeRoot, IBuildLog log)
    {
        SnapshotterKind? forced = null;
        if (Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } name)
            forced = Snapshotters.Parse(name) ?? throw new SbuildException(ErrorCode.InvalidOption, $"{Variable}=\"{name}\": must be overlay or native");
        var choice = SnapshotterSelector.Select(storeRoot, forced);
        if (choice.Notice is { } notice) log.Note(notice);
        return choice.Kind;
    }
}

namespace Sbuild.Snapshotter;

/// <summary>The xattrs of a file that belong in a layer: all but overlayfs' own bookkeeping (<c>trusted.overlay.*</c>).</summary>
internal static class LayerXattrs
{
    /// <summary>Names sorted ordinally, so two files' lists compare and serialize in one order.</summary>
    public static List<string> Names(string path)
    {
        var names = Xattrs.List(path).Where(n => !n.StartsWith(OciWhiteouts.OverlayXattrPrefix, StringComparison.Ordinal)).ToList();
        names.Sort(StringComparer.Ordinal);
        return names;
    }
}

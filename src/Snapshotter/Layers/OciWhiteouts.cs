namespace Sbuild.Snapshotter;

/// <summary>How OCI layers (image-spec layer.md) mark deletions, and how overlayfs marks them in an upper directory.</summary>
internal static class OciWhiteouts
{
    /// <summary>An empty file <c>.wh.NAME</c> deletes NAME of the layers below.</summary>
    public const string Prefix = ".wh.";

    /// <summary>An empty file <c>DIR/.wh..wh..opq</c> hides everything the layers below have in DIR.</summary>
    public const string OpaqueMarker = ".wh..wh..opq";

    /// <summary>Names starting so are AUFS bookkeeping (<c>.wh..wh.plnk</c> …), never real whiteouts.</summary>
    public const string MetaPrefix = ".wh..wh.";

    /// <summary>overlayfs (as root) marks a directory whose lower content is hidden with this xattr set to "y".</summary>
    public const string OverlayOpaqueXattr = "trusted.overlay.opaque";

    /// <summary>overlayfs' own bookkeeping xattrs: never part of a layer, never taken from one.</summary>
    public const string OverlayXattrPrefix = "trusted.overlay.";
}

namespace Sbuild.Snapshotter;

/// <summary>
/// Overlay features that would make an upper directory unreadable as a plain layer: index (ties uppers to lowers),
/// redirect_dir (renamed directories as xattr pointers) and metacopy (metadata-only copy-ups without data). Each is
/// turned off explicitly when the kernel knows it, whatever the kernel's default.
/// </summary>
internal static class OverlayFeatures
{
    private static readonly string[] Features = ["index", "redirect_dir", "metacopy"];

    public static IEnumerable<string> DisabledByDefault() =>
        Features.Where(f => File.Exists($"/sys/module/overlay/parameters/{f}")).Select(f => f + "=off");
}

namespace Sbuild.Snapshotter;

/// <summary>
/// mount(2) copies at most one page of options, which a lowerdir list of many deep layers can exceed. While an
/// instance lives, each lower directory is held open with O_PATH and named <c>/proc/self/fd/N</c>: a short path the
/// kernel resolves to the same directory when it parses the options. The descriptors are only needed during mount(2).
/// </summary>
internal sealed class ShortLowerDirs : IDisposable
{
    private const string LowerDirPrefix = "lowerdir=";
    private readonly List<int> _descriptors = [];

    private ShortLowerDirs()
    {
    }

    /// <summary>The overlay data with every lowerdir path replaced by its descriptor path.</summary>
    public string Data { get; private set; } = "";

    public static ShortLowerDirs Open(string data)
    {
        var handles = new ShortLowerDirs();
        try
        {
            var options = OverlayOptionText.Split(data, ',');
            for (var i = 0; i < options.Count; i++)
            {
                if (!options[i].StartsWith(LowerDirPrefix, StringComparison.Ordinal)) continue;
                var lowers = OverlayOptionText.Split(options[i][LowerDirPrefix.Length..], ':')
                    .Select(escaped => handles.Hold(OverlayOptionText.Unescape(escaped)));
                options[i] = LowerDirPrefix + string.Join(':', lowers);
            }
            handles.Data = string.Join(',', options);
            return handles;
        }
        catch
        {
            handles.Dispose();
            throw;
        }
    }

    private string Hold(string directory)
    {
        var fd = MountSyscalls.OpenPath(directory);
        _descriptors.Add(fd);
        return $"/proc/self/fd/{fd}";
    }

    public void Dispose()
    {
        foreach (var fd in _descriptors) MountSyscalls.CloseDescriptor(fd);
        _descriptors.Clear();
    }
}

using Sbuild.Frontend;

namespace Sbuild.Engine;

/// <summary>The here-documents of a COPY or ADD: files of mode 0644 (BuildKit's Mkfile), copied after the sources.</summary>
internal static class HereDocuments
{
    private const uint Mode = 0x1A4;

    /// <param name="scratch">Per-build temp directory the contents are written to before they are copied.</param>
    public static void Copy(IReadOnlyList<InlineFile>? files, string scratch, string rootfs, string destination, CopyOwnership ownership)
    {
        if (files is not { Count: > 0 }) return;
        using var sources = new InlineFiles(scratch, files, Mode);
        FileCopier.Copy(sources.Directory, new CopySelection(files.Select(f => f.Name).ToList()), rootfs, destination, ownership);
    }
}

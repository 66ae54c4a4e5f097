using Sbuild.Core;
using Sbuild.Frontend;

namespace Sbuild.Engine;

/// <summary>Here-document contents written to a private temp directory for one step; deleted on dispose.</summary>
public sealed class InlineFiles : IDisposable
{
    public InlineFiles(string scratchRoot, IReadOnlyList<InlineFile> files, uint mode)
    {
        Directory = System.IO.Directory.CreateDirectory(Path.Combine(scratchRoot, "inline-" + Guid.NewGuid().ToString("N"))).FullName;
        foreach (var file in files)
        {
            var path = PathOf(file.Name);
            File.WriteAllText(path, file.Content);
            Posix.Chmod(path, mode);
        }
    }

    public string Directory { get; }

    public string PathOf(string name) => Path.Combine(Directory, name);

    public void Dispose() => TreeRemover.Delete(Directory);
}

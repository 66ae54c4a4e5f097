using Sbuild.Archive.Compression;
using Sbuild.Archive.Tar;
using Sbuild.Core;

namespace Sbuild.Exporter;

/// <summary>
/// An image archive unpacked into a scratch directory before anything reaches the store: every regular file is hashed
/// while it is written, symlinks between members (docker save links repeated layers) are resolved, and a damaged or
/// truncated archive fails here. Dispose removes the directory.
/// </summary>
internal sealed class StagedArchive : IDisposable
{
    private readonly string _dir;
    private readonly Dictionary<string, (Digest Digest, long Size)> _files = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _links = new(StringComparer.Ordinal);

    private StagedArchive(string dir, string source)
    {
        _dir = dir;
        Source = source;
    }

    /// <summary>What the archive is called in messages (a file name, or "standard input").</summary>
    public string Source { get; }

    public static async Task<StagedArchive> UnpackAsync(Stream input, string source, string scratchRoot, CancellationToken cancellationToken)
    {
        var staged = new StagedArchive(Directory.CreateDirectory(Path.Combine(scratchRoot, "load-" + Guid.NewGuid().ToString("N"))).FullName, source);
        try
        {
            await using var tar = await Decompression.OpenAsync(input, cancellationToken).ConfigureAwait(false);
            var reader = new TarArchiveReader(tar);
            var any = false;
            while (await reader.ReadNextAsync(cancellationToken).ConfigureAwait(false) is { } header)
            {
                any = true;
                var name = Normalize(header.Name) ?? throw staged.Invalid($"member \"{header.Name}\" points outside the archive");
                if (header.Kind == TarEntryKind.Symlink || header.Kind == TarEntryKind.HardLink)
                {
                    var target = header.Kind == TarEntryKind.HardLink ? header.LinkName : Path.Combine(Path.GetDirectoryName(name) ?? "", header.LinkName);
                    staged._links[name] = Normalize(target) ?? throw staged.Invalid($"link \"{header.Name}\" points outside the archive");
                    continue;
                }
                if (header.Kind != TarEntryKind.File) continue;
                var path = Path.Combine(staged._dir, name);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                await using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
                await using var hashing = new HashingStream(file, leaveOpen: true);
                await reader.DataStream.CopyToAsync(hashing, 1 << 20, cancellationToken).ConfigureAwait(false);
                staged._files[name] = (hashing.GetDigest(), hashing.Length);
            }
            if (!any) throw staged.Invalid("it holds no files");
            return staged;
        }
        catch (Exception e) when (Decompression.IsCorruptInput(e) || e is EndOfStreamException or InvalidDataException
                                  || e is SbuildException { Code: ErrorCode.InvalidArchive } && !e.Message.StartsWith("cannot load", StringComparison.Ordinal))
        {
            staged.Dispose();
            throw staged.Invalid($"it is damaged or truncated ({e.Message})");
        }
        catch
        {
            staged.Dispose();
            throw;
        }
    }

    public bool Has(string name) => Resolve(name) is not null;

    /// <summary>The sha256 and size of member <paramref name="name"/>; an error naming it when the archive lacks it.</summary>
    public (Digest Digest, long Size) Stat(string name, string what) =>
        Resolve(name) is { } real ? _files[real] : throw Invalid($"{what} \"{name}\" is not in the archive");

    public FileStream Open(string name, string what) =>
        new FileStream(Path.Combine(_dir, Resolve(name) ?? throw Invalid($"{what} \"{name}\" is not in the archive")),
            FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);

    public byte[] ReadAll(string name, string what)
    {
        using var stream = Open(name, what);
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }

    public SbuildException Invalid(string problem) => new(ErrorCode.InvalidArchive, $"cannot load {Source}: {problem}; nothing was loaded");

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private string? Resolve(string name)
    {
        if (Normalize(name) is not { } path) return null;
        for (var hops = 0; hops < 16; hops++)
        {
            if (_files.ContainsKey(path)) return path;
            if (!_links.TryGetValue(path, out var next)) return null;
            path = next;
        }
        return null;
    }

    /// <summary>A relative member path without "." parts and trailing '/'; null when ".." climbs out.</summary>
    private static string? Normalize(string name)
    {
        var parts = new List<string>();
        foreach (var part in name.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == ".") continue;
            if (part == "..")
            {
                if (parts.Count == 0) return null;
                parts.RemoveAt(parts.Count - 1);
                continue;
            }
            parts.Add(part);
        }
        return string.Join('/', parts);
    }
}

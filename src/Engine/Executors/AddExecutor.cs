using Sbuild.Core;
using Sbuild.Frontend;
using Sbuild.Solver;

namespace Sbuild.Engine.Executors;

/// <summary>
/// ADD: URLs are downloaded while keying (keyed by their content, as BuildKit does), local tar archives (plain, gzip,
/// bzip2, xz, zstd; detected by content) are unpacked into the destination, everything else is copied like COPY.
/// </summary>
/// <param name="downloads">Fetches URL sources into <paramref name="scratch"/>, the per-build temp directory.</param>
internal sealed class AddExecutor(AddOp op, StepDescription step, LocalContext context, SnapshotWorkspace workspace, Func<UrlSource> downloads, string scratch)
    : IOp<FsState>
{
    private readonly Dictionary<string, DownloadedFile> _downloaded = [];

    public string Name => step.Name;

    /// <summary>The URLs downloaded while keying, in the order of the sources (for the step's cache-miss record).</summary>
    public IEnumerable<DownloadedFile> Downloads => op.Sources.Where(_downloaded.ContainsKey).Select(url => _downloaded[url]);

    public async ValueTask<Digest> CacheKeyAsync(IReadOnlyList<Digest> inputs, CancellationToken ct)
    {
        var content = new List<Digest>();
        var local = op.Sources.Where(s => !SourceUrl.IsUrl(s)).ToList();
        if (local.Count > 0)
            content.Add(StepErrors.At(step, () => context.Checksum(new CopySelection(local, Excludes: op.Excludes), ct)));
        foreach (var url in op.Sources.Where(SourceUrl.IsUrl))
        {
            var file = await StepErrors.AtAsync(step, () => downloads().DownloadAsync(url, scratch, op.Checksum, ct)).ConfigureAwait(false);
            _downloaded[url] = file;
            content.Add(file.Digest);
        }
        return CacheKeys.Of(op, inputs, content);
    }

    public Task<FsState> ExecuteAsync(IReadOnlyList<FsState> inputs, CancellationToken ct) =>
        workspace.ChangeAsync(inputs[0], async rootfs =>
        {
            var ownership = StepErrors.At(step, () => CopyOwnership.Resolve(rootfs, op.Chown, op.Chmod, preserveOwnership: false));
            foreach (var source in op.Sources)
            {
                if (SourceUrl.IsUrl(source))
                {
                    await StepErrors.AtAsync(step, () => DownloadedFileInstaller.AddAsync(_downloaded[source], rootfs, op.Destination, ownership, op.Unpack == true, ct)).ConfigureAwait(false);
                    continue;
                }
                foreach (var match in StepErrors.At(step, () => new CopySelection([source], Excludes: op.Excludes).Resolve(context.Root, context.Ignore)))
                {
                    if (op.Unpack != false && ArchiveDetector.IsArchive(match.Host))
                    {
                        // --chown owns the destination and every unpacked entry (current BuildKit; 0.8 kept the
                        // archive's owners); --chmod does not apply to unpacked content, nor --exclude.
                        var unpacked = new CopyOwnership(ownership.Uid, ownership.Gid, null, PreserveOwnership: true);
                        await StepErrors.AtAsync(step, () => ArchiveExtractor.ExtractAsync(match.Host, rootfs, op.Destination, unpacked, ct)).ConfigureAwait(false);
                    }
                    else
                        StepErrors.At(step, () => { FileCopier.Copy([match], rootfs, op.Destination, ownership, context.Ignore); return 0; });
                }
            }
            // Here-documents are never unpacked (BuildKit copies them from their own scratch files).
            StepErrors.At(step, () => { HereDocuments.Copy(op.Files, scratch, rootfs, op.Destination, ownership); return 0; });
        }, ct);
}

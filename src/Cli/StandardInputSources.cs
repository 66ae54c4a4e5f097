using Sbuild.Core;
using Sbuild.Engine;

namespace Sbuild.Cli;

/// <summary>
/// docker build's standard-input forms, made into files for the build: <c>-f -</c> (the Dockerfile is read from
/// stdin) and <c>-</c> as the context (stdin is a tar archive, plain or compressed, that becomes the context; or, when
/// it is not an archive, a Dockerfile with an empty context). Everything lives in a scratch directory of the store that
/// goes away on dispose.
/// </summary>
public sealed class StandardInputSources : IDisposable
{
    private readonly string _scratch;

    private StandardInputSources(ImageStore store) =>
        _scratch = Directory.CreateDirectory(Path.Combine(StoreLeases.Directory(store.Root, "tmp"), "stdin-" + Guid.NewGuid().ToString("N"))).FullName;

    /// <summary>The context directory (null: the one given on the command line).</summary>
    public string? ContextDir { get; private set; }

    /// <summary>The Dockerfile (null: the one given by <c>-f</c>, or the context's).</summary>
    public string? DockerfilePath { get; private set; }

    /// <summary>Reads standard input as <c>-</c> context or <c>-f -</c> asks; null when neither does.</summary>
    public static async Task<StandardInputSources?> ReadAsync(bool contextFromStdin, bool dockerfileFromStdin, Lazy<ImageStore> store, CancellationToken ct)
    {
        if (!contextFromStdin && !dockerfileFromStdin) return null;
        if (contextFromStdin && dockerfileFromStdin)
            throw new SbuildException(ErrorCode.InvalidOption, "the context (-) and --file (-f -) cannot both be read from standard input");
        var sources = new StandardInputSources(store.Value);
        try
        {
            // Named Dockerfile so errors point at "…/Dockerfile:LINE", as docker's do for a Dockerfile from stdin.
            var received = Path.Combine(sources._scratch, "Dockerfile");
            // A read of standard input blocks until data comes and cannot be cancelled: a signal abandons it (the file
            // goes with the scratch directory).
            await AbandonableWork.RunAsync(() =>
            {
                using var file = File.Create(received);
                using var stdin = Console.OpenStandardInput();
                stdin.CopyTo(file);
                return received;
            }, ct).ConfigureAwait(false);
            if (dockerfileFromStdin)
            {
                sources.DockerfilePath = received;
                return sources;
            }
            var context = Directory.CreateDirectory(Path.Combine(sources._scratch, "context")).FullName;
            if (ArchiveDetector.IsArchive(received))
            {
                await ArchiveExtractor.ExtractAsync(received, context, "/", new CopyOwnership(null, null, null, PreserveOwnership: true), ct).ConfigureAwait(false);
                File.Delete(received);
            }
            else sources.DockerfilePath = received; // a plain Dockerfile: the context is empty
            sources.ContextDir = context;
            return sources;
        }
        catch
        {
            sources.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        TreeRemover.Delete(_scratch);
    }
}

using System.Diagnostics;
using Sbuild.Core;
using Sbuild.Exporter;

namespace Sbuild.Cli;

/// <summary>
/// <c>--load</c>, as docker buildx has it: the image goes as a docker-archive into the standard input of
/// <c>docker load</c>, whose "Loaded image" lines are shown as progress notes.
/// </summary>
internal sealed class DockerLoad
{
    private readonly string _docker;

    private DockerLoad(string docker) => _docker = docker;

    /// <summary>Finds docker before the build starts, so a missing docker fails fast.</summary>
    public static DockerLoad Find() => new(ProgramPath.Find("docker")
        ?? throw new SbuildException(ErrorCode.InvalidOption,
            "--load pipes the image into `docker load`, but there is no docker program in $PATH: install the docker CLI, " +
            "or write an archive with -o type=docker,dest=FILE and load that where docker is"));

    public async Task RunAsync(ExportImage image, DateTimeOffset? timestamp, Action<string> note, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(_docker)
        {
            ArgumentList = { "load" },
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start) ?? throw new SbuildException(ErrorCode.RuntimeFailed, $"--load: could not start {_docker}");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            var input = process.StandardInput.BaseStream;
            await new DockerArchiveWriter(timestamp).WriteAsync(image, input, cancellationToken).ConfigureAwait(false);
            await input.FlushAsync(cancellationToken).ConfigureAwait(false);
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // docker load stopped reading (daemon down, bad archive): its own message says why, below.
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw;
        }
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        var output = await stdout.ConfigureAwait(false);
        var errors = (await stderr.ConfigureAwait(false)).Trim();
        if (process.ExitCode != 0)
            throw new SbuildException(ErrorCode.RuntimeFailed, $"--load: docker load failed (exit code {process.ExitCode}): {(errors.Length > 0 ? errors : output.Trim())}");
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)) note(line);
    }
}

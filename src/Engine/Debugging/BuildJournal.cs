using System.Text.Json;
using Sbuild.Core;
using Sbuild.Frontend;
using Sbuild.Snapshotter;

namespace Sbuild.Engine.Debugging;

/// <summary>
/// One build's record for debugging it afterwards: the full output of each RUN it runs (<see cref="BuildLogs"/>) and the
/// filesystem of a RUN that failed (<see cref="KeptFailures"/>). Its directory is made when the first step starts, so a
/// build that runs nothing leaves nothing. Safe to use from parallel steps.
/// </summary>
public sealed class BuildJournal(string storeRoot, string contextDir, string dockerfilePath, SnapshotterKind snapshotter)
{
    private readonly Lock _gate = new();
    private readonly List<BuildLogStep> _steps = [];
    private readonly DateTimeOffset _started = DateTimeOffset.UtcNow;
    private string? _directory;

    public string StoreRoot { get; } = storeRoot;

    public string Id { get; } = BuildLogs.NewBuildId();

    /// <summary>Numbers the step, lists it in the index and opens its log (dispose it when the step ends).</summary>
    public StepLog StartStep(string name)
    {
        lock (_gate)
        {
            if (_directory is null)
            {
                BuildLogs.MakeRoom(StoreRoot);
                _directory = Directory.CreateDirectory(Path.Combine(BuildLogs.RootOf(StoreRoot), Id)).FullName;
            }
            var number = _steps.Count + 1;
            var path = BuildLogs.StepLogPath(StoreRoot, Id, number);
            _steps.Add(new BuildLogStep(number, name, Path.GetFileName(path)));
            WriteIndex();
            return new StepLog(this, number, path);
        }
    }

    internal void Ended(int step, int exitCode)
    {
        lock (_gate)
        {
            _steps[step - 1] = _steps[step - 1] with { ExitCode = exitCode };
            WriteIndex();
        }
    }

    /// <summary>Records the failed RUN whose filesystem was kept as snapshot <paramref name="snapshot"/> (see <see cref="KeptFailures"/>).</summary>
    public void KeepFailure(StepLog log, string name, ExecOp op, string snapshot, IReadOnlyList<FsState> inputs, int exitCode) =>
        KeptFailures.Keep(StoreRoot, new KeptFailure(Id, log.Number, name, JsonSerializer.SerializeToElement<Op>(op, FrontendJsonContext.Default.Op),
            snapshotter.ToString().ToLowerInvariant(), snapshot, inputs, contextDir, dockerfilePath, DateTimeOffset.UtcNow, exitCode));

    /// <summary>
    /// The index, replaced whole (temp file and rename, so a reader sees the old or the new one). Not fsynced: a log is
    /// worth no sync on the build's path, and a crash loses at most the last steps' entries.
    /// </summary>
    private void WriteIndex()
    {
        var path = Path.Combine(_directory!, BuildLogs.IndexFile);
        var temp = AtomicFile.TempPathBeside(path);
        File.WriteAllBytes(temp, JsonSerializer.SerializeToUtf8Bytes(new BuildLogIndex(Id, _started, _steps.ToList()), BuildJsonContext.Default.BuildLogIndex));
        File.Move(temp, path, overwrite: true);
    }
}

/// <summary>
/// A step's log file, written as its output arrives through a small buffer (memory stays bounded whatever the step
/// prints): the bytes of its stdout and stderr exactly as the container wrote them, the two streams' pieces in the
/// order sbuild read them.
/// </summary>
public sealed class StepLog : IDisposable
{
    private readonly BuildJournal _journal;
    private readonly FileStream _file;

    internal StepLog(BuildJournal journal, int number, string path)
    {
        _journal = journal;
        Number = number;
        Path = path;
        _file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read, bufferSize: 64 * 1024);
    }

    public int Number { get; }

    public string Path { get; }

    public string BuildId => _journal.Id;

    /// <summary>Called serially (the runner's output callback is serialized).</summary>
    public void Write(ReadOnlySpan<byte> bytes) => _file.Write(bytes);

    /// <summary>The step ended with <paramref name="exitCode"/>: the log is complete.</summary>
    public void Ended(int exitCode)
    {
        _file.Flush();
        _journal.Ended(Number, exitCode);
    }

    public void Dispose() => _file.Dispose();
}

using Sbuild.Solver;

namespace Sbuild.Cli;

/// <summary>
/// BuildKit's <c>--progress=plain</c> look: <c>#N name</c>, output lines, <c>#N DONE 0.3s</c> / <c>#N CACHED</c>; plus,
/// under the name of a step the cache missed, sbuild's own <c>#N cache miss: …</c> line saying why.
/// </summary>
public sealed class PlainProgress(TextWriter output, bool quiet) : ProgressDisplay
{
    private readonly Dictionary<string, int> _ids = [];
    private readonly Lock _gate = new();
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();

    public override void Report(SolveEvent e)
    {
        if (quiet) return;
        lock (_gate)
        {
            // Number steps in the order they show up, as BuildKit does, rather than by graph position.
            if (!_ids.TryGetValue(e.Name, out var id)) _ids[e.Name] = id = _ids.Count + 1;
            switch (e.Status)
            {
                case VertexStatus.Started when e.CacheMiss is { } miss: output.WriteLine($"#{id} {e.Name}\n#{id} cache miss: {miss}"); break;
                case VertexStatus.Started: output.WriteLine($"#{id} {e.Name}"); break;
                case VertexStatus.Cached: output.WriteLine($"#{id} {e.Name}\n#{id} CACHED"); break;
                case VertexStatus.Completed: output.WriteLine($"#{id} DONE {e.Elapsed.TotalSeconds:0.0}s"); break;
                case VertexStatus.Failed when e.Error is OperationCanceledException: output.WriteLine($"#{id} CANCELED"); break; // BuildKit's word
                case VertexStatus.Failed: output.WriteLine($"#{id} ERROR: {e.Error?.Message.Split('\n')[0]}"); break;
            }
        }
    }

    public override void Output(string vertexName, string line)
    {
        if (quiet) return;
        lock (_gate)
        {
            var id = _ids.GetValueOrDefault(vertexName);
            output.WriteLine($"#{id} {_clock.Elapsed.TotalSeconds:0.000} {line}");
        }
    }

    public override void Note(string message)
    {
        if (quiet) return;
        lock (_gate) output.WriteLine($"=> {message}");
    }

    public override void Warning(string message)
    {
        lock (_gate) output.WriteLine($"WARN: {message}");
    }
}

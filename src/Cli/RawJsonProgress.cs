using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Sbuild.Core;
using Sbuild.Solver;

namespace Sbuild.Cli;

/// <summary>
/// <c>--progress=rawjson</c>: one JSON object per line, shaped like BuildKit's <c>SolveStatus</c> as
/// <c>buildctl build --progress=rawjson</c> prints it (fields left out when empty, as Go's <c>omitempty</c> does;
/// times are RFC 3339 in UTC; byte fields are base64, as Go encodes <c>[]byte</c>):
/// <list type="bullet">
/// <item>a step starting: <c>{"vertexes":[{"digest":"sha256:…","name":"[stage-0 2/3] RUN …","started":"2025-01-02T03:04:05.1234567Z"}]}</c>;
/// when the cache missed it and sbuild found an earlier record of the step, also sbuild's own <c>"cacheMiss":"RUN make — ARG V 1 → 2"</c>.</item>
/// <item>a step ending: the same vertex again with <c>"completed"</c>, plus <c>"cached":true</c> when the cache answered
/// it (then <c>started</c> is the cache lookup, a few microseconds before <c>completed</c>) or <c>"error":"…"</c> when it
/// failed (<c>"context canceled"</c>, BuildKit's words, when the build was cancelled).</item>
/// <item>an output line of a RUN: <c>{"logs":[{"vertex":"sha256:…","stream":1,"data":"BASE64(line + \n)","timestamp":"…"}]}</c>
/// (sbuild's runner merges the process's stdout and stderr, so the stream is always 1).</item>
/// <item>a note (runtime choice, pull, push, export, naming): <c>{"statuses":[{"id":"note-N","name":"pulled …","current":0,
/// "timestamp":"…","started":"…","completed":"…"}]}</c>, N counting notes from 1, started = completed = timestamp.</item>
/// <item>a warning (lint rules, unused build-args) at the end: <c>{"warnings":[{"level":1,"short":"BASE64(text)"}]}</c>.</item>
/// </list>
/// The solver's events carry only the step's name, so <c>digest</c> is the sha256 of the name's UTF-8 bytes: stable
/// for a step across builds and the same in a step's vertex and log events, but not BuildKit's LLB digest.
/// An error that ends the build is printed after the stream as a plain <c>error…</c> line, as buildctl does.
/// Events come from parallel steps: each line is written whole and flushed under a lock.
/// </summary>
public sealed class RawJsonProgress : ProgressDisplay
{
    // Quotes as \" and non-ASCII text as it is, like Go's encoder (which also keeps UTF-8); still one line per object.
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly Stream _output;
    private readonly Lock _gate = new();
    private readonly ArrayBufferWriter<byte> _buffer = new(1024);
    private readonly Dictionary<string, DateTime> _started = [];
    private readonly Dictionary<string, string> _digests = [];
    private int _notes;
    private bool _closed;

    /// <param name="output">Where the lines go (the process's standard error stream).</param>
    public RawJsonProgress(Stream output) => _output = output;

    public override void Report(SolveEvent value)
    {
        var now = DateTime.UtcNow;
        lock (_gate)
        {
            var digest = DigestOf(value.Name);
            DateTime started;
            if (value.Status == VertexStatus.Started) _started[value.Name] = started = now;
            else if (!_started.Remove(value.Name, out started)) started = now - value.Elapsed;
            Emit(w =>
            {
                w.WriteStartArray("vertexes");
                w.WriteStartObject();
                w.WriteString("digest", digest);
                w.WriteString("name", value.Name);
                w.WriteString("started", started);
                if (value.Status != VertexStatus.Started) w.WriteString("completed", now);
                if (value.Status == VertexStatus.Cached) w.WriteBoolean("cached", true);
                if (value.Status == VertexStatus.Failed) w.WriteString("error", ErrorText(value.Error));
                if (value.CacheMiss is { } miss) w.WriteString("cacheMiss", miss);
                w.WriteEndObject();
                w.WriteEndArray();
            });
        }
    }

    public override void Output(string vertexName, string line)
    {
        var now = DateTime.UtcNow;
        lock (_gate)
        {
            var digest = DigestOf(vertexName);
            Emit(w =>
            {
                w.WriteStartArray("logs");
                w.WriteStartObject();
                w.WriteString("vertex", digest);
                w.WriteNumber("stream", 1);
                w.WriteBase64String("data", Encoding.UTF8.GetBytes(line + "\n"));
                w.WriteString("timestamp", now);
                w.WriteEndObject();
                w.WriteEndArray();
            });
        }
    }

    public override void Note(string message)
    {
        var now = DateTime.UtcNow;
        lock (_gate)
        {
            var id = $"note-{++_notes}";
            Emit(w =>
            {
                w.WriteStartArray("statuses");
                w.WriteStartObject();
                w.WriteString("id", id);
                w.WriteString("name", message);
                w.WriteNumber("current", 0);
                w.WriteString("timestamp", now);
                w.WriteString("started", now);
                w.WriteString("completed", now);
                w.WriteEndObject();
                w.WriteEndArray();
            });
        }
    }

    public override void Warning(string message)
    {
        lock (_gate)
        {
            Emit(w =>
            {
                w.WriteStartArray("warnings");
                w.WriteStartObject();
                w.WriteNumber("level", 1);
                w.WriteBase64String("short", Encoding.UTF8.GetBytes(message));
                w.WriteEndObject();
                w.WriteEndArray();
            });
        }
    }

    private string DigestOf(string name)
    {
        if (!_digests.TryGetValue(name, out var digest))
            _digests[name] = digest = Digest.Of(Encoding.UTF8.GetBytes(name)).ToString();
        return digest;
    }

    private static string ErrorText(Exception? error) => error switch
    {
        null => "failed",
        OperationCanceledException => "context canceled",
        _ => error.Message,
    };

    /// <summary>Writes one object (the caller's fields inside <c>{…}</c>) and a newline, then flushes. Holds the lock.</summary>
    private void Emit(Action<Utf8JsonWriter> fields)
    {
        if (_closed) return;
        _buffer.Clear();
        using (var writer = new Utf8JsonWriter(_buffer, WriterOptions))
        {
            writer.WriteStartObject();
            fields(writer);
            writer.WriteEndObject();
        }
        _buffer.Write("\n"u8);
        try
        {
            _output.Write(_buffer.WrittenSpan);
            _output.Flush();
        }
        catch (IOException)
        {
            // A closed pipe (e.g. `| head`) must not fail the build.
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (!disposing) return;
        lock (_gate) _closed = true;
    }
}

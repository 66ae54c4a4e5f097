namespace Sbuild.Runner;

public enum OutputStream
{
    Stdout,
    Stderr,
}

/// <summary>Receives a piece of a container's output exactly as the container wrote it.</summary>
public delegate void OutputBytes(OutputStream stream, ReadOnlySpan<byte> bytes);

/// <summary>Receives a container's output line by line, as it arrives, and keeps the last lines for error messages;
/// optionally also as raw bytes. Safe to feed from the stdout and stderr readers at once.</summary>
public sealed class RunOutput
{
    private readonly Action<OutputStream, string>? _onLine;
    private readonly OutputBytes? _onBytes;
    private readonly int _tailCapacity;
    private readonly Queue<string> _tail = new();
    private readonly Lock _gate = new();

    /// <param name="onLine">Called for each line (without its newline); calls are serialized.</param>
    /// <param name="tailCapacity">How many of the last lines <see cref="Tail"/> keeps.</param>
    /// <param name="onBytes">Called with each piece of output as read from the container's stdout or stderr pipe
    /// (at most <see cref="LineReader.ReadSize"/> bytes, not decoded, not split at lines), before the piece's lines;
    /// calls are serialized, so pieces of the two streams arrive in the order they were read. The span is valid only
    /// during the call.</param>
    public RunOutput(Action<OutputStream, string>? onLine = null, int tailCapacity = 20, OutputBytes? onBytes = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(tailCapacity);
        _onLine = onLine;
        _onBytes = onBytes;
        _tailCapacity = tailCapacity;
    }

    /// <summary>Writes every line to <paramref name="writer"/> as it arrives.</summary>
    public static RunOutput ToWriter(TextWriter writer, int tailCapacity = 20) =>
        new((_, line) => writer.WriteLine(line), tailCapacity);

    /// <summary>The last lines of stdout and stderr together, in arrival order.</summary>
    public IReadOnlyList<string> Tail
    {
        get
        {
            lock (_gate)
                return [.. _tail];
        }
    }

    internal void AddBytes(OutputStream stream, ReadOnlySpan<byte> bytes)
    {
        if (_onBytes is null) return;
        lock (_gate)
            _onBytes(stream, bytes);
    }

    internal void Add(OutputStream stream, string line)
    {
        lock (_gate)
        {
            if (_tailCapacity > 0)
            {
                if (_tail.Count == _tailCapacity)
                    _tail.Dequeue();
                _tail.Enqueue(line);
            }
            _onLine?.Invoke(stream, line);
        }
    }
}

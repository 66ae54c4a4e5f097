using System.Globalization;
using System.Text;
using Sbuild.Core;
using static Sbuild.Snapshotter.Tar.TarFormat;

namespace Sbuild.Snapshotter.Tar;

/// <summary>
/// Reads a tar stream entry by entry without seeking: ustar, GNU and PAX headers (long names, large numbers,
/// <c>SCHILY.xattr</c> records with their raw bytes). Sparse files and multi-volume archives are rejected. Damaged
/// input fails with <see cref="SbuildException"/> (InvalidArchive).
/// </summary>
public sealed class TarArchiveReader(Stream input)
{
    private readonly Stream _input = input;
    /// <summary>Bounds in-memory metadata (PAX records, GNU long names) so a hostile archive cannot exhaust memory.</summary>
    private const int MaxMetadataSize = 16 * 1024 * 1024;
    private readonly byte[] _block = new byte[BlockSize];
    private long _offset;
    private EntryDataStream? _data;
    private byte[]? _scratch;

    /// <summary>The current entry's data; it is only readable until the next <see cref="ReadNextAsync"/>.</summary>
    public Stream DataStream => _data ?? throw new InvalidOperationException("no current entry");

    /// <summary>
    /// The next entry's header, or null at the end of the archive. Unread data of the previous entry is skipped; at the
    /// end the input is read to its end too (padding after the end marker), so a digest computed over it is complete.
    /// </summary>
    public async Task<TarHeader?> ReadNextAsync(CancellationToken cancellationToken)
    {
        if (_data is not null)
        {
            await SkipAsync(_data.Remaining + Padding(_data.Length), cancellationToken).ConfigureAwait(false);
            _data = null;
        }

        Dictionary<string, byte[]>? pax = null;
        string? longName = null, longLink = null;
        while (true)
        {
            var headerOffset = _offset;
            if (!await ReadHeaderBlockAsync(cancellationToken).ConfigureAwait(false))
            {
                await DrainAsync(cancellationToken).ConfigureAwait(false);
                return null;
            }
            var type = _block[TypeOffset];
            var size = ReadNumber(SizeOffset, LongNumberLength, headerOffset);
            switch (type)
            {
                case (byte)'x':
                    pax ??= new Dictionary<string, byte[]>(StringComparer.Ordinal);
                    ParsePaxRecords(await ReadMetadataAsync(size, cancellationToken).ConfigureAwait(false), pax, headerOffset);
                    continue;
                case (byte)'g': // global PAX defaults: nothing in a layer depends on them
                    await SkipAsync(size + Padding(size), cancellationToken).ConfigureAwait(false);
                    continue;
                case (byte)'L':
                    longName = Text(await ReadMetadataAsync(size, cancellationToken).ConfigureAwait(false));
                    continue;
                case (byte)'K':
                    longLink = Text(await ReadMetadataAsync(size, cancellationToken).ConfigureAwait(false));
                    continue;
            }
            var header = BuildHeader(type, size, pax, longName, longLink, headerOffset);
            _data = new EntryDataStream(this, header.Kind == TarEntryKind.File ? header.Size : 0);
            return header;
        }
    }

    private TarHeader BuildHeader(byte type, long size, Dictionary<string, byte[]>? pax, string? longName, string? longLink, long offset)
    {
        string? PaxText(string key) => pax?.TryGetValue(key, out var v) == true ? Encoding.UTF8.GetString(v) : null;
        long PaxNumber(string key, long fallback) =>
            PaxText(key) is { } text
                ? long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : throw Invalid(offset, $"bad PAX {key} \"{text}\"")
                : fallback;

        if (pax?.Keys.Any(k => k.StartsWith("GNU.sparse.", StringComparison.Ordinal)) == true || type == (byte)'S')
            throw Invalid(offset, "sparse files are not supported");

        var block = _block.AsSpan();
        var isPosix = block.Slice(MagicOffset, 6).SequenceEqual("ustar\0"u8);
        var name = PaxText(PaxPath) ?? longName ?? JoinPrefix(isPosix ? Text(block.Slice(PrefixOffset, PrefixLength)) : "", Text(block.Slice(NameOffset, NameLength)));
        var kind = type switch
        {
            (byte)'0' or 0 or (byte)'7' => name.EndsWith('/') ? TarEntryKind.Directory : TarEntryKind.File, // pre-POSIX tars mark directories by the '/'
            (byte)'1' => TarEntryKind.HardLink,
            (byte)'2' => TarEntryKind.Symlink,
            (byte)'3' => TarEntryKind.CharDevice,
            (byte)'4' => TarEntryKind.BlockDevice,
            (byte)'5' => TarEntryKind.Directory,
            (byte)'6' => TarEntryKind.Fifo,
            _ => throw Invalid(offset, $"entry \"{name}\" has unsupported type '{(char)type}'"),
        };
        var isDevice = kind is TarEntryKind.CharDevice or TarEntryKind.BlockDevice;
        return new TarHeader
        {
            Name = name,
            Kind = kind,
            Mode = (uint)ReadNumber(ModeOffset, IdLength, offset) & 0xFFF,
            Uid = PaxNumber(PaxUid, ReadNumber(UidOffset, IdLength, offset)),
            Gid = PaxNumber(PaxGid, ReadNumber(GidOffset, IdLength, offset)),
            Size = kind == TarEntryKind.File ? PaxNumber(PaxSize, size) : 0, // other types carry no data, whatever the field says
            ModificationTime = PaxText(PaxMTime) is { } mtime ? ParsePaxTime(mtime, offset) : ReadNumber(MTimeOffset, LongNumberLength, offset),
            LinkName = PaxText(PaxLinkPath) ?? longLink ?? Text(block.Slice(LinkNameOffset, NameLength)),
            DeviceMajor = isDevice ? (uint)ReadNumber(DevMajorOffset, IdLength, offset) : 0,
            DeviceMinor = isDevice ? (uint)ReadNumber(DevMinorOffset, IdLength, offset) : 0,
            Xattrs = pax is null ? TarHeader.EmptyXattrs : pax
                .Where(r => r.Key.StartsWith(PaxXattrPrefix, StringComparison.Ordinal))
                .ToDictionary(r => r.Key[PaxXattrPrefix.Length..], r => r.Value, StringComparer.Ordinal),
        };
    }

    /// <summary>Reads the next block; false at the end of the archive (a zero block, or a clean end of stream).</summary>
    private async Task<bool> ReadHeaderBlockAsync(CancellationToken cancellationToken)
    {
        var offset = _offset;
        var read = await ReadAtMostAsync(_block, cancellationToken).ConfigureAwait(false);
        if (read == 0) return false;
        if (read < BlockSize) throw Invalid(offset, "the archive ends inside a header");
        if (_block.AsSpan().IndexOfAnyExcept((byte)0) < 0) return false;
        var stored = ReadNumber(ChecksumOffset, ChecksumLength, offset);
        if (stored != Checksum(_block) && stored != SignedChecksum(_block))
            throw Invalid(offset, "header checksum mismatch (not a tar archive, or corrupt)");
        return true;
    }

    /// <summary>Some historic tars summed the header as signed bytes.</summary>
    private static int SignedChecksum(ReadOnlySpan<byte> block)
    {
        var sum = 0;
        for (var i = 0; i < BlockSize; i++)
            sum += i is >= ChecksumOffset and < ChecksumOffset + ChecksumLength ? ' ' : (sbyte)block[i];
        return sum;
    }

    private async Task<byte[]> ReadMetadataAsync(long size, CancellationToken cancellationToken)
    {
        if (size > MaxMetadataSize) throw Invalid(_offset, $"an extended header of {size} bytes is too large");
        var data = new byte[size];
        var offset = _offset;
        if (await ReadAtMostAsync(data, cancellationToken).ConfigureAwait(false) < size) throw Invalid(offset, "the archive ends inside an extended header");
        await SkipAsync(Padding(size), cancellationToken).ConfigureAwait(false);
        return data;
    }

    /// <summary>Parses "LEN KEY=VALUE\n" records; later records (and later headers) override earlier ones.</summary>
    private static void ParsePaxRecords(ReadOnlySpan<byte> data, Dictionary<string, byte[]> records, long offset)
    {
        while (!data.IsEmpty)
        {
            var space = data.IndexOf((byte)' ');
            if (space <= 0 || !int.TryParse(data[..space], NumberStyles.None, CultureInfo.InvariantCulture, out var length)
                || length <= space + 1 || length > data.Length || data[length - 1] != (byte)'\n')
                throw Invalid(offset, "malformed PAX extended header");
            var record = data[(space + 1)..(length - 1)];
            var equals = record.IndexOf((byte)'=');
            if (equals <= 0) throw Invalid(offset, "malformed PAX record");
            records[Encoding.UTF8.GetString(record[..equals])] = record[(equals + 1)..].ToArray();
            data = data[length..];
        }
    }

    /// <summary>PAX times are decimal seconds with an optional fraction; layers keep whole seconds.</summary>
    private static long ParsePaxTime(string text, long offset) =>
        decimal.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds)
            ? (long)decimal.Floor(seconds)
            : throw Invalid(offset, $"bad PAX mtime \"{text}\"");

    /// <summary>A numeric field: octal text, or GNU base-256 when the high bit of the first byte is set.</summary>
    private long ReadNumber(int fieldOffset, int length, long offset)
    {
        var field = _block.AsSpan(fieldOffset, length);
        if ((field[0] & 0x80) != 0)
        {
            if (field[0] == 0xFF) throw Invalid(offset, "negative numbers are not supported");
            long value = field[0] & 0x7F;
            foreach (var b in field[1..])
            {
                if (value > (long.MaxValue >> 8)) throw Invalid(offset, "a numeric field overflows");
                value = (value << 8) | b;
            }
            return value;
        }
        var text = field.Trim(" \0"u8);
        long result = 0;
        foreach (var c in text)
        {
            if (c is < (byte)'0' or > (byte)'7') throw Invalid(offset, "a numeric header field is not octal (not a tar archive, or corrupt)");
            result = (result << 3) | (long)(c - '0');
        }
        return result;
    }

    private static string Text(ReadOnlySpan<byte> field)
    {
        var end = field.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? field : field[..end]);
    }

    private static string JoinPrefix(string prefix, string name) => prefix.Length == 0 ? name : prefix + "/" + name;

    private async Task<int> ReadAtMostAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var read = await _input.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        _offset += read;
        return read;
    }

    private async Task SkipAsync(long count, CancellationToken cancellationToken)
    {
        while (count > 0)
        {
            var offset = _offset;
            var read = await ReadAtMostAsync(Scratch.AsMemory(0, (int)Math.Min(Scratch.Length, count)), cancellationToken).ConfigureAwait(false);
            if (read == 0) throw Invalid(offset, "the archive is truncated");
            count -= read;
        }
    }

    /// <summary>Reads to the end of the input.</summary>
    private async Task DrainAsync(CancellationToken cancellationToken)
    {
        while (await ReadAtMostAsync(Scratch, cancellationToken).ConfigureAwait(false) > 0)
        {
        }
    }

    /// <summary>Where skipped bytes go; allocated on first use, most archives never skip data.</summary>
    private byte[] Scratch => _scratch ??= new byte[64 * 1024];

    private static SbuildException Invalid(long offset, string message) =>
        new(ErrorCode.InvalidArchive, $"invalid tar archive at byte {offset}: {message}");

    /// <summary>Exactly the current entry's data bytes of the underlying stream, read-only and forward-only.</summary>
    private sealed class EntryDataStream(TarArchiveReader reader, long length) : Stream
    {
        private readonly long _length = length;

        public long Remaining { get; private set; } = length;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => _length;
        public override long Position { get => _length - Remaining; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (Remaining == 0 || buffer.IsEmpty) return 0;
            var read = reader._input.Read(buffer[..(int)Math.Min(buffer.Length, Remaining)]);
            return Account(read);
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (Remaining == 0 || buffer.IsEmpty) return 0;
            var read = await reader._input.ReadAsync(buffer[..(int)Math.Min(buffer.Length, Remaining)], cancellationToken).ConfigureAwait(false);
            return Account(read);
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        private int Account(int read)
        {
            if (read == 0) throw Invalid(reader._offset, "the archive ends inside a file's data");
            Remaining -= read;
            reader._offset += read;
            return read;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

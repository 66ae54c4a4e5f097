using System.Globalization;
using System.Text;
using Sbuild.Core;
using static Sbuild.Archive.Tar.TarFormat;

namespace Sbuild.Archive.Tar;

/// <summary>
/// Reads a tar stream entry by entry without seeking: V7, ustar, GNU and PAX headers (long names, large and negative
/// numbers, sub-second PAX times, <c>SCHILY.xattr</c> records with their raw bytes). It is sbuild's only tar reader,
/// so layers, ADD archives and imported tars are all read the same way. Damaged input, sparse files, multi-volume
/// parts and other rare entry types fail with <see cref="SbuildException"/> (InvalidArchive).
/// </summary>
/// <param name="input">The tar stream, read forward only.</param>
/// <param name="archiveName">Named at the start of error messages when given (an ADD source); layers go without.</param>
public sealed class TarArchiveReader(Stream input, string? archiveName = null)
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
    public Task<TarHeader?> ReadNextAsync(CancellationToken cancellationToken) => ReadNextAsync(refuseUnsupported: true, cancellationToken);

    /// <summary>
    /// Whether <paramref name="input"/> starts with a tar entry, the test BuildKit's isArchivePath makes with Go's
    /// archive/tar: the first header (with any PAX or GNU long-name records before it) is well-formed. An entry of a
    /// type sbuild does not extract still counts; an empty stream or an end-of-archive marker does not. Errors of the
    /// underlying stream (a damaged gzip) are not caught.
    /// </summary>
    public static bool StartsWithEntry(Stream input)
    {
        try
        {
            // Sync over async is safe here: the reader never needs the caller's context, and reads a few blocks at most.
            return new TarArchiveReader(input).ReadNextAsync(refuseUnsupported: false, CancellationToken.None).GetAwaiter().GetResult() is not null;
        }
        catch (SbuildException e) when (e.Code == ErrorCode.InvalidArchive)
        {
            return false;
        }
    }

    /// <param name="refuseUnsupported">
    /// False only for <see cref="StartsWithEntry"/>: an entry of a type sbuild cannot read then comes back with its raw
    /// typeflag as <see cref="TarHeader.Kind"/>, and the reader cannot go on after it.
    /// </param>
    private async Task<TarHeader?> ReadNextAsync(bool refuseUnsupported, CancellationToken cancellationToken)
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
            if (size < 0) throw Invalid(headerOffset, $"negative size {size}");
            switch (type)
            {
                case (byte)'x':
                    pax ??= new Dictionary<string, byte[]>(StringComparer.Ordinal);
                    if (!PaxRecords.TryParse(await ReadMetadataAsync(size, cancellationToken).ConfigureAwait(false), pax))
                        throw Invalid(headerOffset, "malformed PAX extended header");
                    continue;
                case (byte)'g': // global PAX defaults: nothing sbuild reads depends on them
                    await SkipAsync(size + Padding(size), cancellationToken).ConfigureAwait(false);
                    continue;
                case (byte)'L':
                    longName = TarFields.Text(await ReadMetadataAsync(size, cancellationToken).ConfigureAwait(false));
                    continue;
                case (byte)'K':
                    longLink = TarFields.Text(await ReadMetadataAsync(size, cancellationToken).ConfigureAwait(false));
                    continue;
            }
            var header = BuildHeader(type, size, pax, longName, longLink, headerOffset, refuseUnsupported);
            _data = new EntryDataStream(this, header.Kind == TarEntryKind.File ? header.Size : 0);
            return header;
        }
    }

    private TarHeader BuildHeader(byte type, long size, Dictionary<string, byte[]>? pax, string? longName, string? longLink, long offset, bool refuseUnsupported)
    {
        string? PaxText(string key) => pax?.TryGetValue(key, out var v) == true ? Encoding.UTF8.GetString(v) : null;
        // Names keep their bytes, UTF-8 or not, as Go's archive/tar keeps them (PAX defines path records as UTF-8, but
        // Go, and so BuildKit, writes a name's raw bytes there).
        string? PaxName(string key) => pax?.TryGetValue(key, out var v) == true ? EscapedNames.Decode(v) : null;
        long PaxNumber(string key, long fallback) =>
            PaxText(key) is { } text
                ? long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : throw Invalid(offset, $"bad PAX {key} \"{text}\"")
                : fallback;

        var block = _block.AsSpan();
        var isPosix = block.Slice(MagicOffset, 6).SequenceEqual("ustar\0"u8);
        var name = PaxName(PaxPath) ?? longName ?? JoinPrefix(isPosix ? TarFields.Text(block.Slice(PrefixOffset, PrefixLength)) : "", TarFields.Text(block.Slice(NameOffset, NameLength)));
        var isSparse = pax?.Keys.Any(k => k.StartsWith("GNU.sparse.", StringComparison.Ordinal)) == true || type == (byte)'S';
        if (isSparse && refuseUnsupported) throw Invalid(offset, $"\"{EscapedNames.Shown(name)}\" is a sparse file; sparse files are not supported");
        var kind = isSparse ? (TarEntryKind)type : type switch
        {
            (byte)'0' or (byte)'7' => TarEntryKind.File,
            0 => name.EndsWith('/') ? TarEntryKind.Directory : TarEntryKind.File, // pre-POSIX tars mark directories by the '/' (Go reads them so)
            (byte)'1' => TarEntryKind.HardLink,
            (byte)'2' => TarEntryKind.Symlink,
            (byte)'3' => TarEntryKind.CharDevice,
            (byte)'4' => TarEntryKind.BlockDevice,
            (byte)'5' => TarEntryKind.Directory,
            (byte)'6' => TarEntryKind.Fifo,
            _ when !refuseUnsupported => (TarEntryKind)type,
            _ => throw Invalid(offset, $"entry \"{EscapedNames.Shown(name)}\" has unsupported type '{(char)type}'"),
        };
        var isDevice = kind is TarEntryKind.CharDevice or TarEntryKind.BlockDevice;
        var (mtime, mtimeNs) = ModificationTime(PaxText(PaxMTime), offset);
        return new TarHeader
        {
            Name = name,
            Kind = kind,
            Mode = (uint)ReadNumber(ModeOffset, IdLength, offset) & 0xFFF,
            Uid = PaxNumber(PaxUid, ReadNumber(UidOffset, IdLength, offset)),
            Gid = PaxNumber(PaxGid, ReadNumber(GidOffset, IdLength, offset)),
            Size = kind == TarEntryKind.File ? PaxNumber(PaxSize, size) : 0, // other types carry no data, whatever the field says
            ModificationTime = mtime,
            ModificationTimeNanoseconds = mtimeNs,
            LinkName = PaxName(PaxLinkPath) ?? longLink ?? TarFields.Text(block.Slice(LinkNameOffset, NameLength)),
            DeviceMajor = isDevice ? DeviceNumber(DevMajorOffset, offset) : 0,
            DeviceMinor = isDevice ? DeviceNumber(DevMinorOffset, offset) : 0,
            Xattrs = pax is null ? TarHeader.EmptyXattrs : pax
                .Where(r => r.Key.StartsWith(PaxXattrPrefix, StringComparison.Ordinal))
                .ToDictionary(r => r.Key[PaxXattrPrefix.Length..], r => r.Value, StringComparer.Ordinal),
        };
    }

    /// <summary>The PAX mtime record when there is one (it may carry a fraction), else the header field's whole seconds.</summary>
    private (long Seconds, int Nanoseconds) ModificationTime(string? paxMTime, long offset)
    {
        if (paxMTime is null) return (ReadNumber(MTimeOffset, LongNumberLength, offset), 0);
        return PaxRecords.TryParseTime(paxMTime, out var seconds, out var nanoseconds)
            ? (seconds, nanoseconds)
            : throw Invalid(offset, $"bad PAX mtime \"{paxMTime}\"");
    }

    private uint DeviceNumber(int fieldOffset, long offset)
    {
        var value = ReadNumber(fieldOffset, IdLength, offset);
        return value is >= 0 and <= uint.MaxValue ? (uint)value : throw Invalid(offset, $"device number {value} is out of range");
    }

    /// <summary>Reads the next block; false at the end of the archive (a zero block, or a clean end of stream).</summary>
    private async Task<bool> ReadHeaderBlockAsync(CancellationToken cancellationToken)
    {
        var offset = _offset;
        var read = await ReadAtMostAsync(_block, cancellationToken).ConfigureAwait(false);
        if (read == 0) return false;
        if (read < BlockSize) throw Invalid(offset, "the archive ends inside a header");
        if (_block.AsSpan().IndexOfAnyExcept((byte)0) < 0) return false;
        if (!TarHeaderChecksum.IsValid(_block)) throw Invalid(offset, "header checksum mismatch (not a tar archive, or corrupt)");
        return true;
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

    private long ReadNumber(int fieldOffset, int length, long offset) =>
        TarFields.Number(_block.AsSpan(fieldOffset, length))
        ?? throw Invalid(offset, "a numeric header field is not a number (not a tar archive, or corrupt)");

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

    private SbuildException Invalid(long offset, string message) =>
        new(ErrorCode.InvalidArchive, $"{(archiveName is null ? "" : $"archive {archiveName}: ")}invalid tar archive at byte {offset}: {message}");

    /// <summary>Exactly the current entry's data bytes of the underlying stream, read-only and forward-only.</summary>
    private sealed class EntryDataStream(TarArchiveReader reader, long length) : SequentialReadStream
    {
        private readonly long _length = length;

        public long Remaining { get; private set; } = length;

        public override long Length => _length;
        public override long Position { get => _length - Remaining; set => throw new NotSupportedException(); }

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

        private int Account(int read)
        {
            if (read == 0) throw reader.Invalid(reader._offset, "the archive ends inside a file's data");
            Remaining -= read;
            reader._offset += read;
            return read;
        }
    }
}

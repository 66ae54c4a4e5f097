using System.Buffers;
using System.Globalization;
using System.Text;
using Sbuild.Core;
using static Sbuild.Archive.Tar.TarFormat;

namespace Sbuild.Archive.Tar;

/// <summary>
/// Writes a POSIX (PAX) tar stream whose bytes depend only on the headers and data given: fields that fit go into the
/// ustar header, the rest (long or non-ASCII names, large numbers, xattrs) into a PAX extended header named
/// <c>DIR/PaxHeaders.0/NAME</c>. System.Formats.Tar is not used because it puts the process id into PAX header names
/// (so equal input gives different bytes per run) and cannot store binary xattr values such as security.capability.
/// </summary>
public sealed class PaxTarWriter(Stream output)
{
    private const int CopyBufferSize = 128 * 1024;
    private readonly byte[] _block = new byte[BlockSize];

    /// <summary>Writes one entry; for a regular file <paramref name="data"/> must supply exactly <see cref="TarHeader.Size"/> bytes.</summary>
    public async Task WriteEntryAsync(TarHeader header, Stream? data, CancellationToken cancellationToken)
    {
        var size = header.Kind == TarEntryKind.File ? header.Size : 0;
        var records = PaxRecords(header, size);
        if (records.Count > 0)
        {
            var paxData = EncodeRecords(records);
            FillBlock(PaxHeaderName(header.Name), 0, (byte)'x', 0, 0, paxData.Length, 0, "", 0, 0);
            await output.WriteAsync(_block, cancellationToken).ConfigureAwait(false);
            await output.WriteAsync(paxData, cancellationToken).ConfigureAwait(false);
            await WritePaddingAsync(paxData.Length, cancellationToken).ConfigureAwait(false);
        }

        FillBlock(header.Name, header.Mode, (byte)header.Kind, header.Uid, header.Gid, size, header.ModificationTime,
            header.LinkName, header.DeviceMajor, header.DeviceMinor);
        await output.WriteAsync(_block, cancellationToken).ConfigureAwait(false);
        if (size > 0)
        {
            if (data is null) throw new ArgumentException($"{header.Name}: a regular file of {size} bytes needs data", nameof(data));
            await CopyExactlyAsync(header.Name, data, size, cancellationToken).ConfigureAwait(false);
            await WritePaddingAsync(size, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Writes the end-of-archive marker (two zero blocks) and flushes. The stream stays open.</summary>
    public async Task FinishAsync(CancellationToken cancellationToken)
    {
        Array.Clear(_block);
        await output.WriteAsync(_block, cancellationToken).ConfigureAwait(false);
        await output.WriteAsync(_block, cancellationToken).ConfigureAwait(false);
        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private static SortedDictionary<string, byte[]> PaxRecords(TarHeader header, long size)
    {
        var records = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        void Add(string key, string value) => records[key] = Encoding.UTF8.GetBytes(value);
        static string Number(long n) => n.ToString(CultureInfo.InvariantCulture);

        // A name's PAX record holds its bytes as they are, UTF-8 or not, as Go's archive/tar (so BuildKit) writes it.
        if (!FitsField(header.Name, NameLength)) records[PaxPath] = EscapedNames.Encode(header.Name);
        if (!FitsField(header.LinkName, NameLength)) records[PaxLinkPath] = EscapedNames.Encode(header.LinkName);
        if (!FitsOctal(header.Uid, IdLength)) Add(PaxUid, Number(header.Uid));
        if (!FitsOctal(header.Gid, IdLength)) Add(PaxGid, Number(header.Gid));
        if (!FitsOctal(size, LongNumberLength)) Add(PaxSize, Number(size));
        if (!FitsOctal(header.ModificationTime, LongNumberLength)) Add(PaxMTime, Number(header.ModificationTime));
        foreach (var (name, value) in header.Xattrs) records[PaxXattrPrefix + name] = value;
        return records;
    }

    /// <summary>"LEN KEY=VALUE\n" records, LEN counting the whole record including its own digits.</summary>
    private static byte[] EncodeRecords(SortedDictionary<string, byte[]> records)
    {
        var buffer = new ArrayBufferWriter<byte>();
        foreach (var (key, value) in records)
        {
            var keyBytes = Encoding.UTF8.GetBytes(key);
            var bodyLength = keyBytes.Length + value.Length + 3; // ' ', '=', '\n'
            var length = bodyLength + Digits(bodyLength);
            if (Digits(length) > Digits(bodyLength)) length++;
            buffer.Write(Encoding.ASCII.GetBytes(length.ToString(CultureInfo.InvariantCulture) + " "));
            buffer.Write(keyBytes);
            buffer.Write("="u8);
            buffer.Write(value);
            buffer.Write("\n"u8);
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static int Digits(int n) => n.ToString(CultureInfo.InvariantCulture).Length;

    /// <summary>
    /// Where the PAX header lives, named as Go's archive/tar (so BuildKit) names it: PaxHeaders.0 joined between the
    /// entry's directory part and its last part (path.Split, then path.Join: a directory's name ends in '/', so its
    /// header is DIR/PaxHeaders.0), only ASCII kept, cut to the field, trailing slashes trimmed. The name is informative
    /// only; readers skip it.
    /// </summary>
    private static string PaxHeaderName(string name)
    {
        var slash = name.LastIndexOf('/');
        var (dir, file) = (name[..(slash + 1)].TrimEnd('/'), name[(slash + 1)..]);
        var joined = (dir.Length > 0 ? dir + "/" : "") + "PaxHeaders.0" + (file.Length > 0 ? "/" + file : "");
        var ascii = new string(joined.Where(c => c is > '\0' and < '\u0080').ToArray());
        return (ascii.Length > NameLength ? ascii[..NameLength] : ascii).TrimEnd('/');
    }

    private void FillBlock(string name, uint mode, byte type, long uid, long gid, long size, long mtime, string linkName, uint devMajor, uint devMinor)
    {
        var block = _block.AsSpan();
        block.Clear();
        WriteText(block.Slice(NameOffset, NameLength), name);
        WriteOctal(block.Slice(ModeOffset, IdLength), mode & 0xFFF);
        WriteOctal(block.Slice(UidOffset, IdLength), FitsOctal(uid, IdLength) ? uid : 0);
        WriteOctal(block.Slice(GidOffset, IdLength), FitsOctal(gid, IdLength) ? gid : 0);
        WriteOctal(block.Slice(SizeOffset, LongNumberLength), FitsOctal(size, LongNumberLength) ? size : 0);
        WriteOctal(block.Slice(MTimeOffset, LongNumberLength), FitsOctal(mtime, LongNumberLength) ? mtime : 0);
        block[TypeOffset] = type;
        WriteText(block.Slice(LinkNameOffset, NameLength), linkName);
        "ustar\0"u8.CopyTo(block[MagicOffset..]);
        "00"u8.CopyTo(block[VersionOffset..]);
        if (type is (byte)TarEntryKind.CharDevice or (byte)TarEntryKind.BlockDevice)
        {
            WriteOctal(block.Slice(DevMajorOffset, IdLength), devMajor);
            WriteOctal(block.Slice(DevMinorOffset, IdLength), devMinor);
        }
        // Checksum: six octal digits, NUL, space.
        WriteOctal(block.Slice(TarHeaderChecksum.Offset, TarHeaderChecksum.Length - 1), TarHeaderChecksum.Compute(block));
        block[TarHeaderChecksum.Offset + TarHeaderChecksum.Length - 1] = (byte)' ';
    }

    /// <summary>Text that fits a ustar field as is: ASCII (PAX readers expect UTF-8 names in PAX records) and short enough.</summary>
    private static bool FitsField(string text, int length) => text.Length <= length && Ascii.IsValid(text);

    private static bool FitsOctal(long value, int length) => value >= 0 && value <= MaxOctal(length);

    /// <summary>
    /// Writes the name's ASCII characters, as many as fit: a name that does not fit as is has a PAX record with the real
    /// one, and the field is only a placeholder, which Go's archive/tar (so BuildKit) fills the same way.
    /// </summary>
    private static void WriteText(Span<byte> field, string text)
    {
        var written = 0;
        foreach (var c in text)
        {
            if (written == field.Length) break;
            if (c is > '\0' and < '\u0080') field[written++] = (byte)c;
        }
    }

    /// <summary>Zero-padded octal digits filling all but the last byte, which stays NUL.</summary>
    private static void WriteOctal(Span<byte> field, long value)
    {
        if (value < 0 || value > MaxOctal(field.Length))
            throw new ArgumentOutOfRangeException(nameof(value), value, $"does not fit a {field.Length}-byte tar field");
        var digits = Convert.ToString(value, 8).PadLeft(field.Length - 1, '0');
        Encoding.ASCII.GetBytes(digits, field);
    }

    private async Task CopyExactlyAsync(string name, Stream data, long size, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(CopyBufferSize);
        try
        {
            for (var remaining = size; remaining > 0;)
            {
                var read = await data.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, remaining)), cancellationToken).ConfigureAwait(false);
                if (read == 0) throw ChangedWhileArchiving(name, "shrank");
                await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                remaining -= read;
            }
            if (await data.ReadAsync(buffer.AsMemory(0, 1), cancellationToken).ConfigureAwait(false) > 0)
                throw ChangedWhileArchiving(name, "grew");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static SbuildException ChangedWhileArchiving(string name, string how) =>
        new(ErrorCode.FileSystem, $"{EscapedNames.Shown(name)} {how} while it was being archived; files must not change while a layer is written");

    private async Task WritePaddingAsync(long size, CancellationToken cancellationToken)
    {
        var padding = (int)Padding(size);
        if (padding == 0) return;
        Array.Clear(_block);
        await output.WriteAsync(_block.AsMemory(0, padding), cancellationToken).ConfigureAwait(false);
    }
}

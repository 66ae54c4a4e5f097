using System.Buffers;
using System.Text;

namespace Sbuild.Core;

/// <summary>
/// File names as strings that keep every byte, valid UTF-8 or not, as BuildKit (Go, whose strings are bytes) keeps them.
/// A byte that is not part of valid UTF-8 (always 0x80 or more) becomes the lone surrogate U+DC00 + byte, as Python's
/// "surrogateescape" does; valid UTF-8 never decodes to a lone surrogate, so <see cref="Encode"/> gets the bytes back
/// exactly. .NET's own file APIs would turn such a surrogate into U+FFFD's bytes, so a path that holds one must reach
/// the kernel through <see cref="Posix"/> (whose calls marshal with <see cref="EscapedNameMarshaller"/>).
/// </summary>
public static class EscapedNames
{
    private const char FirstEscape = '\uDC80', LastEscape = '\uDCFF';

    /// <summary>The name of <paramref name="bytes"/>: UTF-8 decoded, each byte that is not valid UTF-8 escaped.</summary>
    public static string Decode(ReadOnlySpan<byte> bytes)
    {
        if (System.Text.Unicode.Utf8.IsValid(bytes)) return Encoding.UTF8.GetString(bytes);
        var text = new StringBuilder(bytes.Length);
        while (!bytes.IsEmpty)
        {
            var status = Rune.DecodeFromUtf8(bytes, out var rune, out var consumed);
            if (status == OperationStatus.Done) text.Append(rune.ToString());
            else foreach (var b in bytes[..consumed]) text.Append((char)(0xDC00 + b));
            bytes = bytes[consumed..];
        }
        return text.ToString();
    }

    /// <summary>The bytes <paramref name="name"/> stands for (see <see cref="Decode"/>).</summary>
    public static byte[] Encode(string name)
    {
        if (!HasEscapes(name)) return Encoding.UTF8.GetBytes(name);
        var bytes = new List<byte>(name.Length + 8);
        Span<byte> utf8 = stackalloc byte[4];
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (IsEscape(name, i))
            {
                bytes.Add((byte)(c - 0xDC00));
                continue;
            }
            var rune = Rune.DecodeFromUtf16(name.AsSpan(i), out var r, out var used) == OperationStatus.Done ? r : Rune.ReplacementChar;
            var length = rune.EncodeToUtf8(utf8);
            for (var k = 0; k < length; k++) bytes.Add(utf8[k]);
            i += Math.Max(used, 1) - 1;
        }
        return [.. bytes];
    }

    /// <summary>The number of bytes <see cref="Encode"/> gives.</summary>
    public static int ByteCount(string name) => HasEscapes(name) ? Encode(name).Length : Encoding.UTF8.GetByteCount(name);

    /// <summary>Whether <paramref name="name"/> holds bytes that are not UTF-8 (so only <see cref="Posix"/> can name its file).</summary>
    public static bool HasEscapes(ReadOnlySpan<char> name)
    {
        for (var i = name.IndexOfAnyInRange(FirstEscape, LastEscape); i >= 0; i = NextIn(name, i))
            if (IsEscape(name, i)) return true;
        return false;
    }

    /// <summary><paramref name="name"/> to show to the user: each byte that is not UTF-8 as \xNN.</summary>
    public static string Shown(string name)
    {
        if (!HasEscapes(name)) return name;
        var text = new StringBuilder(name.Length + 8);
        for (var i = 0; i < name.Length; i++)
            text.Append(IsEscape(name, i) ? $"\\x{name[i] - 0xDC00:x2}" : name[i]);
        return text.ToString();
    }

    private static int NextIn(ReadOnlySpan<char> span, int i)
    {
        var next = span[(i + 1)..].IndexOfAnyInRange(FirstEscape, LastEscape);
        return next < 0 ? -1 : i + 1 + next;
    }

    /// <summary>A lone low surrogate in the escape range (one after a high surrogate is half of a real character).</summary>
    private static bool IsEscape(ReadOnlySpan<char> name, int i) =>
        name[i] is >= FirstEscape and <= LastEscape && (i == 0 || !char.IsHighSurrogate(name[i - 1]));
}

using System.Text;
using Sbuild.Core;

namespace Sbuild.Snapshotter;

/// <summary>
/// Orders strings as their UTF-8 bytes would sort: by Unicode scalar value. That differs from ordinal UTF-16 order
/// only where characters beyond U+FFFF meet U+E000–U+FFFF, but layer entry order must not depend on the encoding. A name
/// with bytes that are not UTF-8 (<see cref="EscapedNames"/>) sorts by its bytes, as Go compares such strings.
/// </summary>
internal sealed class Utf8OrdinalComparer : IComparer<string>
{
    public static Utf8OrdinalComparer Instance { get; } = new();

    public int Compare(string? x, string? y)
    {
        if (x is null || y is null) return x is null ? (y is null ? 0 : -1) : 1;
        if (EscapedNames.HasEscapes(x) || EscapedNames.HasEscapes(y))
            return EscapedNames.Encode(x).AsSpan().SequenceCompareTo(EscapedNames.Encode(y));
        int i = 0, j = 0;
        while (i < x.Length && j < y.Length)
        {
            Rune.DecodeFromUtf16(x.AsSpan(i), out var a, out var aLength);
            Rune.DecodeFromUtf16(y.AsSpan(j), out var b, out var bLength);
            if (a != b) return a.Value.CompareTo(b.Value);
            i += aLength;
            j += bLength;
        }
        return (x.Length - i).CompareTo(y.Length - j);
    }
}

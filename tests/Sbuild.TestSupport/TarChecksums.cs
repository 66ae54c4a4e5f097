using System.Text;

namespace Sbuild.TestSupport;

/// <summary>
/// Rewrites a tar header's checksum after a test edited the header, computed here independently of sbuild's own
/// routine so the tests do not take the code they check as their oracle.
/// </summary>
public static class TarChecksums
{
    /// <summary>The byte sum with the 8-byte field counted as spaces (as unsigned or signed bytes), written as 6 octal digits, NUL, space.</summary>
    public static void Rewrite(Span<byte> header, bool signed = false)
    {
        header.Slice(148, 8).Fill((byte)' ');
        var sum = 0;
        foreach (var b in header[..512]) sum += signed ? (sbyte)b : b;
        Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ").CopyTo(header[148..]);
    }
}

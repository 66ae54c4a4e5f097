using Sbuild.Core;

namespace Sbuild.Core.Tests;

/// <summary>The escaped form of file names: every byte string comes back unchanged, valid UTF-8 reads as itself.</summary>
public sealed class EscapedNamesTests
{
    public static TheoryData<byte[]> Names => new()
    {
        "plain.txt"u8.ToArray(),
        "café ✓ 😀"u8.ToArray(),
        "\uFFFD"u8.ToArray(), // a real U+FFFD is a character like any other
        new byte[] { 0xFF, 0xFE, (byte)'.', (byte)'t' },
        new byte[] { (byte)'c', (byte)'a', (byte)'f', 0xE9 }, // Latin-1 é
        new byte[] { 0xE2, 0x82 }, // a sequence cut short
        new byte[] { 0xED, 0xB3, 0xBF }, // a surrogate encoded in UTF-8 is not UTF-8: it must not read as an escape
        new byte[] { 0xC0, 0x80, 0xF5, 0x80, 0x80, 0x80 }, // overlong and out-of-range forms
        new byte[] { 0xF0, 0x9F, 0x98, 0x80, 0x80 }, // a valid character followed by a stray continuation byte
    };

    [Theory]
    [MemberData(nameof(Names))]
    public void Bytes_round_trip(byte[] bytes)
    {
        var name = EscapedNames.Decode(bytes);
        Assert.Equal(bytes, EscapedNames.Encode(name));
        Assert.Equal(bytes.Length, EscapedNames.ByteCount(name));
        Assert.Equal(!System.Text.Unicode.Utf8.IsValid(bytes), EscapedNames.HasEscapes(name));
    }

    [Fact]
    public void Escapes_are_shown_as_hex_and_decoded_names_differ_where_the_bytes_do()
    {
        Assert.Equal(@"caf\xe9", EscapedNames.Shown(EscapedNames.Decode([(byte)'c', (byte)'a', (byte)'f', 0xE9])));
        Assert.Equal("café", EscapedNames.Shown("café"));
        Assert.NotEqual(EscapedNames.Decode([0xFF]), EscapedNames.Decode([0xFE]));
        Assert.Equal("😀", EscapedNames.Shown("😀")); // a low surrogate after its high one is half of a character, not an escape
    }

    [Fact]
    public void Posix_calls_and_the_directory_listing_name_the_file_by_its_bytes()
    {
        var dir = Directory.CreateTempSubdirectory("sbuild-escaped-").FullName;
        try
        {
            var name = EscapedNames.Decode([(byte)'a', 0xFF, 0xFE, (byte)'b']);
            var path = Path.Combine(dir, name);
            using (var file = Posix.CreateNew(path, 0b110_100_100)) file.Write("odd"u8);
            Assert.Equal([name], DirectoryListing.Names(dir));
            Assert.Equal(3, Posix.LStat(path).Size);
            Posix.Symlink(name, Path.Combine(dir, "link"));
            Assert.Equal(name, Posix.ReadLink(Path.Combine(dir, "link")));
            // Another tool sees the bytes: bash's printf makes the same name.
            var sameBytes = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("bash", ["-c", "test -f \"$1/$(printf 'a\\377\\376b')\"", "-", dir]))!;
            sameBytes.WaitForExit();
            Assert.Equal(0, sameBytes.ExitCode);
        }
        finally
        {
            TreeRemover.Delete(dir);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Paths_longer_than_the_marshallers_stack_buffer_reach_the_kernel_whole(bool withInvalidBytes)
    {
        // 3 × 200-byte components (NAME_MAX is 255) and more: past the 512 bytes a call encodes on the stack.
        var dir = Directory.CreateTempSubdirectory("sbuild-long-").FullName;
        try
        {
            var component = new string('d', 199) + (withInvalidBytes ? EscapedNames.Decode([0xFF]) : "é");
            var deep = Path.Combine(dir, component, component, component);
            Posix.MkDir(Path.Combine(dir, component), 0b111_101_101);
            Posix.MkDir(Path.Combine(dir, component, component), 0b111_101_101);
            Posix.MkDir(deep, 0b111_101_101);
            var file = Path.Combine(deep, "f");
            Assert.True(EscapedNames.ByteCount(file) > 512);
            using (var stream = Posix.CreateNew(file, 0b110_100_100)) stream.Write("long"u8);
            Assert.Equal(4, Posix.LStat(file).Size);
            Assert.Equal([component], DirectoryListing.Names(Path.Combine(dir, component, component)));
            // Another tool finds the same bytes.
            var suffix = withInvalidBytes ? "\\377" : "é";
            var check = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("bash",
                ["-c", $"c=\"$(printf '%0199d' 0 | tr 0 d)$(printf '{suffix}')\"; test -s \"$1/$c/$c/$c/f\"", "-", dir]))!;
            check.WaitForExit();
            Assert.Equal(0, check.ExitCode);
        }
        finally
        {
            TreeRemover.Delete(dir);
        }
    }
}

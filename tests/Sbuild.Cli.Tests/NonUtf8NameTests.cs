using System.Text;
using Sbuild.TestSupport;

namespace Sbuild.Cli.Tests;

/// <summary>
/// File names that are not valid UTF-8 (bytes such as 0xff, or Latin-1's 0xe9 for "é") keep their bytes through a
/// build as in BuildKit, where names are Go strings, that is bytes: from the context through COPY, made by a RUN, unpacked
/// by ADD, read from a base image's layer, and written to layers and to <c>-o type=local|tar</c>. Expected results are the reference
/// BuildKit's: its image compared in full, and its layer tars' name fields and PAX path records byte for byte.
/// </summary>
[Collection(OracleCollection.Name)]
public sealed class NonUtf8NameTests(SbuildCli sbuild) : IClassFixture<SbuildCli>
{
    private readonly BuildKitParity _parity = new(sbuild);

    [Fact]
    public async Task Context_files_copied_and_files_a_run_makes_are_archived_with_buildkits_bytes()
    {
        using var context = new TempDirectory("sbuild-nonutf8-context-");
        // printf makes the names: .NET cannot name such a file.
        await Bash("""printf odd > "$1/$(printf '\377\376.txt')" && mkdir "$1/$(printf 'caf\351')" && printf in > "$1/$(printf 'caf\351')/inner.txt" """, context.Path);
        // A tar for ADD to unpack, made by GNU tar outside the context.
        using var tree = new TempDirectory("sbuild-nonutf8-tree-");
        await Bash("""mkdir "$1/t" && printf z > "$1/t/$(printf 'z\375')" && ln -s "$(printf 'z\375')" "$1/t/zlink" """, tree.Path);
        await ProcessRunner.RunAsync(Tools.Tar, ["--format=pax", "-C", tree.Combine("t"), "-cf", context.Combine("odd.tar"), "."], CancellationToken.None);
        File.WriteAllText(context.Combine("Dockerfile"), """
            FROM busybox
            COPY . /ctx/
            RUN printf x > "/$(printf 'n\351')" && ln -s "$(printf 'n\351')" /link && ls /ctx > /ctx-listing
            ADD odd.tar /added/
            """);

        using var build = await _parity.BuildContextAsync(context.Path);
        BuildKitParity.AssertSame(build.Differences);
        Assert.Equal(build.Expected.Manifest.Layers.Count, build.Actual.Manifest.Layers.Count);
        var copyLayer = NonUtf8Headers(build.Expected.LayerTar(1));
        var runLayer = NonUtf8Headers(build.Expected.LayerTar(2));
        // BuildKit's own layers hold the raw bytes (a check of the expectation itself).
        Assert.Contains(copyLayer, h => h.Contains(@"path=ctx/\xff\xfe.txt", StringComparison.Ordinal));
        Assert.Contains(copyLayer, h => h.Contains(@"path=ctx/caf\xe9/inner.txt", StringComparison.Ordinal));
        Assert.Contains(runLayer, h => h.Contains(@"path=n\xe9", StringComparison.Ordinal));
        Assert.Contains(runLayer, h => h.Contains(@"linkpath=n\xe9", StringComparison.Ordinal));
        var addLayer = NonUtf8Headers(build.Expected.LayerTar(3));
        Assert.Contains(addLayer, h => h.Contains(@"path=added/z\xfd", StringComparison.Ordinal));
        Assert.Equal(copyLayer, NonUtf8Headers(build.Actual.LayerTar(1)));
        Assert.Equal(runLayer, NonUtf8Headers(build.Actual.LayerTar(2)));
        Assert.Equal(addLayer, NonUtf8Headers(build.Actual.LayerTar(3)));
    }

    [Fact]
    public async Task A_base_image_holding_such_names_is_built_upon_and_exported_with_their_bytes()
    {
        await _parity.AddBaseImageAsync("nonutf8-base:1", """
            FROM busybox
            RUN d="/$(printf 'caf\351')" && mkdir "$d" && printf odd > "$d/$(printf 'a\377\376b')" && ln -s "$(printf 'a\377\376b')" "$d/link"
            """);
        // BuildKit reads sbuild's layer, sbuild extracts it for the RUN: both RUNs must see the same names and content.
        var differences = await _parity.CompareAsync("""
            FROM nonutf8-base:1
            RUN d="/$(printf 'caf\351')" && ls "$d" > /listing && cat "$d/$(printf 'a\377\376b')" "$d/link" >> /listing
            """);
        BuildKitParity.AssertSame(differences);

        using var work = new TempDirectory("sbuild-nonutf8-export-");
        File.WriteAllText(work.Combine("Dockerfile"), "FROM nonutf8-base:1\n");
        var local = work.Combine("local");
        await sbuild.RunAsync(["build", "-o", $"type=local,dest={local}", work.Path]);
        await Bash("""test "$(cat "$1/$(printf 'caf\351/a\377\376b')")" = odd && test "$(readlink "$1/$(printf 'caf\351')/link")" = "$(printf 'a\377\376b')" """, local);
        var tar = work.Combine("rootfs.tar");
        await sbuild.RunAsync(["build", "-o", $"type=tar,dest={tar}", work.Path]);
        var listing = await ProcessRunner.RunAsync(Tools.Tar, ["--quoting-style=escape", "-tvf", tar], CancellationToken.None);
        Assert.Contains("caf\\351/a\\377\\376b\n", listing.StandardOutput);
        Assert.Contains("caf\\351/link -> a\\377\\376b\n", listing.StandardOutput);
    }

    private static Task Bash(string script, string arg) => ProcessRunner.RunAsync("bash", ["-c", script, "-", arg], CancellationToken.None);

    /// <summary>
    /// The headers of <paramref name="tar"/> that hold a byte above 0x7f in a name: type, the name and link name fields
    /// as stored (NUL-padding cut), and the path and linkpath records of the PAX header before them; bytes that are not
    /// printable ASCII as \xNN.
    /// </summary>
    private static List<string> NonUtf8Headers(byte[] tar)
    {
        var headers = new List<string>();
        var pax = "";
        for (var offset = 0; offset + 512 <= tar.Length;)
        {
            var block = tar.AsSpan(offset, 512);
            if (block.IndexOfAnyExcept((byte)0) < 0) break;
            var size = Convert.ToInt64(Encoding.ASCII.GetString(block.Slice(124, 12)).Trim('\0', ' '), 8);
            var type = (char)block[156];
            var data = tar.AsSpan(offset + 512, (int)size);
            var fields = $"{type} name={Shown(Field(block[..100]))} link={Shown(Field(block.Slice(157, 100)))} prefix={Shown(Field(block.Slice(345, 155)))}";
            if (type == 'x')
            {
                pax = fields + PaxNames(data);
            }
            else
            {
                var header = pax + " | " + fields;
                if (header.Contains(@"\x", StringComparison.Ordinal)) headers.Add(header);
                pax = "";
            }
            offset += 512 + (int)((size + 511) / 512 * 512);
        }
        return headers;
    }

    private static ReadOnlySpan<byte> Field(ReadOnlySpan<byte> field) => field.IndexOf((byte)0) is var end and >= 0 ? field[..end] : field;

    /// <summary>The path and linkpath records of PAX data ("LEN KEY=VALUE\n" each).</summary>
    private static string PaxNames(ReadOnlySpan<byte> data)
    {
        var names = new StringBuilder();
        while (!data.IsEmpty)
        {
            var space = data.IndexOf((byte)' ');
            var length = int.Parse(Encoding.ASCII.GetString(data[..space]));
            var record = data[(space + 1)..(length - 1)];
            var equals = record.IndexOf((byte)'=');
            var key = Encoding.ASCII.GetString(record[..equals]);
            if (key is "path" or "linkpath") names.Append($" {key}={Shown(record[(equals + 1)..])}");
            data = data[length..];
        }
        return names.ToString();
    }

    private static string Shown(ReadOnlySpan<byte> bytes)
    {
        var text = new StringBuilder();
        foreach (var b in bytes) text.Append(b is >= 0x20 and < 0x7f ? ((char)b).ToString() : $"\\x{b:x2}");
        return text.ToString();
    }
}

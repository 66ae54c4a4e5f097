using System.Formats.Tar;
using System.Text.Json;
using Sbuild.TestSupport;

namespace Sbuild.Exporter.Tests;

/// <summary>Reads an exported archive back: its members in order, with header fields and content.</summary>
internal static class ArchiveInspection
{
    public sealed record Member(string Name, TarEntryType Type, UnixFileMode Mode, int Uid, int Gid, string UserName, string GroupName,
        DateTimeOffset ModificationTime, TarEntryFormat Format, byte[] Content);

    public static List<Member> Read(string path)
    {
        using var file = File.OpenRead(path);
        using var reader = new TarReader(file);
        var members = new List<Member>();
        while (reader.GetNextEntry() is PosixTarEntry entry)
        {
            var content = new MemoryStream();
            entry.DataStream?.CopyTo(content);
            members.Add(new Member(entry.Name, entry.EntryType, entry.Mode, entry.Uid, entry.Gid, entry.UserName, entry.GroupName,
                entry.ModificationTime, entry.Format, content.ToArray()));
        }
        return members;
    }

    public static JsonElement Json(this Member member) => JsonDocument.Parse(member.Content).RootElement;

    public static JsonElement ParseJson(string text) => JsonDocument.Parse(text).RootElement;

    /// <summary>Extracts with the system tar, as a user would.</summary>
    public static async Task<string> ExtractAsync(string archive, string directory)
    {
        Directory.CreateDirectory(directory);
        await ProcessRunner.RunAsync(Tools.Tar, ["-xf", archive, "-C", directory], CancellationToken.None);
        return directory;
    }

    /// <summary>What <c>skopeo inspect ARGS…</c> prints, parsed; skopeo failing to read the image fails the test.</summary>
    public static async Task<JsonElement> SkopeoInspectAsync(params string[] args)
    {
        var result = await ProcessRunner.RunAsync(Tools.Skopeo, ["inspect", .. args], CancellationToken.None);
        return ParseJson(result.StandardOutput);
    }
}

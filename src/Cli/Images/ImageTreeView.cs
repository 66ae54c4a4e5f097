using System.Text;
using Sbuild.Cli.Templates;

namespace Sbuild.Cli.Images;

/// <summary>
/// docker 29's <c>image ls --tree</c> table as the docker CLI prints it to a pipe or file (docker/cli
/// cli/command/image/tree.go, printImageTree; checked against its golden files
/// cli/command/image/testdata/tree-command-success.*.golden): no legend, no colours, the IMAGE column as wide as its
/// widest name or platform line (Go's byte length, so the 3-byte box characters count 3 each), ID 12 wide, DISK USAGE
/// 10 and CONTENT SIZE 12 right-aligned, EXTRA 5 (its chips mark images in use by a container, which sbuild never has),
/// 3 spaces between columns; each image's names, then its platforms on <c>├─</c> / <c>└─</c> lines, then an empty line.
/// </summary>
public static class ImageTreeView
{
    private const int Spacing = 3;
    private const string Untagged = "<untagged>";
    private const string Branch = "├─ ";
    private const string LastBranch = "└─ ";

    public static string Render(IReadOnlyList<TreeImage> images)
    {
        var nameWidth = Math.Max("IMAGE".Length, images.Count == 0 ? 0 : images.Max(i => Math.Max(
            (i.Names.Count == 0 ? [Untagged] : i.Names).Max(n => Encoding.UTF8.GetByteCount(n)),
            i.Platforms.Count == 0 ? 0 : i.Platforms.Max(p => Encoding.UTF8.GetByteCount(LastBranch + p.Platform)))));
        var text = new StringBuilder();
        text.Append("IMAGE".PadRight(nameWidth)).Append(Gap).Append("ID".PadRight(12)).Append(Gap).Append("DISK USAGE")
            .Append(Gap).Append("CONTENT SIZE").Append(Gap).Append("EXTRA").Append('\n');
        foreach (var image in images)
        {
            var names = image.Names.Count == 0 ? [Untagged] : image.Names;
            for (var n = 0; n < names.Count; n++)
            {
                text.Append(names[n].PadRight(nameWidth));
                if (n < names.Count - 1) text.Append('\n');
            }
            Details(text, image.Id.Encoded, image.DiskUsage, image.ContentSize);
            // docker adds the newline before the platforms whenever any image has platforms; every sbuild image has one.
            text.Append('\n');
            for (var p = 0; p < image.Platforms.Count; p++)
            {
                var platform = image.Platforms[p];
                text.Append(((p == image.Platforms.Count - 1 ? LastBranch : Branch) + platform.Platform).PadRight(nameWidth));
                Details(text, platform.Id.Encoded, platform.DiskUsage, platform.ContentSize);
                text.Append('\n');
            }
            text.Append('\n');
        }
        return text.ToString();
    }

    private static string Gap => new(' ', Spacing);

    // The columns after IMAGE: TruncateID (12 hex digits), go-units' HumanSizeWithPrecision(…, 3), and EXTRA's 5 blanks.
    private static void Details(StringBuilder text, string id, long diskUsage, long contentSize) =>
        text.Append(Gap).Append(id[..12]).Append(Gap).Append(DockerUnits.HumanSize(diskUsage, 3).PadLeft(10))
            .Append(Gap).Append(DockerUnits.HumanSize(contentSize, 3).PadLeft(12)).Append(Gap).Append(new string(' ', 5));
}

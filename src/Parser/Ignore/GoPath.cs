using System.Text;

namespace Sbuild.Parser.Ignore;

/// <summary>Slash-separated path helpers with Go's <c>path.Clean</c> / <c>path.Dir</c> semantics.</summary>
internal static class GoPath
{
    /// <summary>Shortest equivalent path: repeated slashes, "." and resolvable ".." removed; "" becomes ".".</summary>
    public static string Clean(string path)
    {
        if (path.Length == 0) return ".";
        bool rooted = path[0] == '/';
        var output = new StringBuilder(path.Length);
        int r = 0, dotdot = 0;
        if (rooted)
        {
            output.Append('/');
            r = dotdot = 1;
        }
        while (r < path.Length)
        {
            if (path[r] == '/')
            {
                r++;
            }
            else if (path[r] == '.' && (r + 1 == path.Length || path[r + 1] == '/'))
            {
                r++;
            }
            else if (path[r] == '.' && path[r + 1] == '.' && (r + 2 == path.Length || path[r + 2] == '/'))
            {
                r += 2;
                if (output.Length > dotdot)
                {
                    int w = output.Length - 1;
                    while (w > dotdot && output[w] != '/') w--;
                    output.Length = w;
                }
                else if (!rooted)
                {
                    if (output.Length > 0) output.Append('/');
                    output.Append("..");
                    dotdot = output.Length;
                }
            }
            else
            {
                if ((rooted && output.Length != 1) || (!rooted && output.Length != 0)) output.Append('/');
                while (r < path.Length && path[r] != '/') output.Append(path[r++]);
            }
        }
        return output.Length == 0 ? "." : output.ToString();
    }

    /// <summary>All but the last element ("." when there is no directory part).</summary>
    public static string Dir(string path)
    {
        int slash = path.LastIndexOf('/');
        return Clean(slash < 0 ? "" : path[..(slash + 1)]);
    }
}

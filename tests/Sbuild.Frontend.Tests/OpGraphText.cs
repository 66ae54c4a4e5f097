using System.Text;
using System.Text.Json;
using Sbuild.Frontend;

namespace Sbuild.Frontend.Tests;

/// <summary>
/// An op graph as text, one node per line in dependency order: <c>#N name &lt;- #inputs json</c>. Nodes are numbered by
/// first visit, so a shared node shows once and is referred to by number.
/// </summary>
internal static class OpGraphText
{
    public static string Of(OpNode root)
    {
        var ids = new Dictionary<OpNode, int>(ReferenceEqualityComparer.Instance);
        var text = new StringBuilder();
        Visit(root);
        return text.ToString();

        int Visit(OpNode node)
        {
            if (ids.TryGetValue(node, out var known)) return known;
            var inputs = node.Inputs.Select(Visit).ToList();
            var id = ids.Count;
            ids[node] = id;
            text.Append('#').Append(id).Append(' ').Append(JsonSerializer.Serialize(node.Op, FrontendJsonContext.Default.Op));
            if (inputs.Count > 0) text.Append(" <- ").Append(string.Join(",", inputs.Select(i => "#" + i)));
            if (node.IgnoreCache) text.Append(" (no-cache)");
            text.Append('\n');
            return id;
        }
    }
}

using System.Text;
using Sbuild.Parser.Text;

namespace Sbuild.Parser;

/// <summary>
/// Prints an AST in the conformance dump format of BuildKit's parser tests: one line per instruction,
/// <c>(keyword ["--flag" ...] "arg" ...)</c>, strings quoted like Go's %q, ONBUILD nesting its trigger.
/// </summary>
public static class AstPrinter
{
    public static string Print(DockerfileAst ast)
    {
        ArgumentNullException.ThrowIfNull(ast);
        var sb = new StringBuilder();
        foreach (var node in ast.Nodes)
        {
            sb.Append('(');
            AppendNode(sb, node);
            sb.Append(")\n");
        }
        return sb.ToString();
    }

    /// <summary>One instruction in the dump format, e.g. <c>(run "make")</c>, without a line break.</summary>
    public static string PrintNode(AstNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var sb = new StringBuilder("(");
        AppendNode(sb, node);
        return sb.Append(')').ToString();
    }

    private static void AppendNode(StringBuilder sb, AstNode node)
    {
        sb.Append(node.Keyword.ToLowerInvariant());
        if (node.Flags.Count > 0)
        {
            sb.Append(" [");
            for (int i = 0; i < node.Flags.Count; i++)
            {
                if (i > 0) sb.Append(' ');
                GoQuote.AppendQuoted(sb, node.Flags[i]);
            }
            sb.Append(']');
        }
        foreach (string arg in node.Args)
        {
            sb.Append(' ');
            GoQuote.AppendQuoted(sb, arg);
        }
        if (node.Inner is not null)
        {
            sb.Append(" (");
            AppendNode(sb, node.Inner);
            sb.Append(')');
        }
    }
}

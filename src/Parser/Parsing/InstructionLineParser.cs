using Sbuild.Core;

namespace Sbuild.Parser.Parsing;

/// <summary>Turns one logical line into an <see cref="AstNode"/> (keyword, flags, arguments; ONBUILD recurses).</summary>
internal sealed class InstructionLineParser(ParseErrors errors, char escape)
{
    public AstNode Parse(LogicalLine line) => Parse(line, line.Text, 0);

    private AstNode Parse(LogicalLine line, string text, int offset)
    {
        var split = CommandSplitter.Split(text, offset, escape);
        var keywordAt = errors.Locate(line, split.KeywordOffset);
        string keyword = split.Keyword.ToLowerInvariant();
        if (!ArgumentForms.ByKeyword.TryGetValue(keyword, out var form))
        {
            string message = split.Keyword.Length == 0
                ? "missing instruction: the line continuation leads nowhere"
                : $"unknown instruction: {split.Keyword}{Suggestion(keyword)}";
            throw errors.Error(ErrorCode.UnsupportedInstruction, keywordAt, message);
        }

        var argsAt = errors.Locate(line, split.RestOffset);
        var flagLocations = split.FlagOffsets.Select(o => errors.Locate(line, o)).ToList();
        AstNode? inner = null;
        ParsedArguments args;
        if (form == ArgumentForm.SubCommand)
        {
            args = new([], false);
            if (split.Rest.Length > 0) inner = Parse(line, split.Rest, split.RestOffset);
        }
        else
        {
            args = ArgumentForms.Parse(form, keyword, split.Rest, escape,
                message => errors.Error(ErrorCode.DockerfileSyntax, argsAt, message));
        }

        return new AstNode(keyword, split.Flags, args.Args, args.IsJson, [], keywordAt, text, inner)
        {
            FlagLocations = flagLocations,
            ArgsLocation = split.Rest.Length > 0 ? argsAt : null,
        };
    }

    /// <summary>"did you mean" for near-miss keywords (one edit away).</summary>
    private static string Suggestion(string keyword)
    {
        foreach (string known in ArgumentForms.ByKeyword.Keys)
        {
            if (EditDistance.AtMostOne(keyword, known)) return $" (did you mean {known.ToUpperInvariant()}?)";
        }
        return "";
    }
}

/// <summary>Tiny edit-distance check for suggestions.</summary>
internal static class EditDistance
{
    public static bool AtMostOne(string a, string b)
    {
        if (Math.Abs(a.Length - b.Length) > 1 || a == b) return a == b;
        int i = 0, j = 0, edits = 0;
        while (i < a.Length && j < b.Length)
        {
            if (a[i] == b[j]) { i++; j++; continue; }
            if (++edits > 1) return false;
            if (a.Length > b.Length) i++;
            else if (a.Length < b.Length) j++;
            else { i++; j++; }
        }
        return edits + (a.Length - i) + (b.Length - j) <= 1;
    }
}

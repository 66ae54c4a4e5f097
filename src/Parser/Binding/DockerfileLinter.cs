using System.Text.RegularExpressions;

namespace Sbuild.Parser.Binding;

/// <summary>One bound instruction with the AST node it came from (the node keeps details such as keyword casing).</summary>
internal sealed record BoundInstruction(AstNode Node, Instruction Instruction);

/// <summary>One stage as the binder assembles it.</summary>
internal sealed record BoundStage(StageHeader Header, List<BoundInstruction> Instructions);

/// <summary>
/// Cheap static checks modelled on BuildKit's Dockerfile lint rules (same rule names and wording). They only warn;
/// rules that need the base image, the build context or the environment are left to the build.
/// </summary>
internal static partial class DockerfileLinter
{
    private static readonly HashSet<string> ReservedStageNames = ["context", "scratch"];

    public static void CheckFrom(StageHeader header, BindErrors warn)
    {
        var node = header.Node;
        if (header.WrittenName is { } written && written != written.ToLowerInvariant())
            warn.Warn(node.Location, "StageNameCasing", $"Stage name '{written}' should be lowercase");
        if (node.Args.Count == 3)
        {
            string from = WrittenKeyword(node);
            string asWord = node.Args[1];
            bool fromLower = from == from.ToLowerInvariant(), fromUpper = from == from.ToUpperInvariant();
            bool mismatch = (fromLower && asWord != asWord.ToLowerInvariant()) || (!fromLower && fromUpper && asWord != asWord.ToUpperInvariant());
            if (mismatch) warn.Warn(node.Location, "FromAsCasing", $"'{asWord}' and '{from}' keywords' casing do not match");
        }
        if (header.Name is { } name && ReservedStageNames.Contains(name))
            warn.Warn(node.Location, "ReservedStageName", $"Stage name should not use the same name as reserved stage \"{name}\"");
    }

    /// <summary>Every instruction should use the casing (upper or lower) that the majority uses.</summary>
    public static void CheckCasing(IReadOnlyList<AstNode> nodes, BindErrors warn)
    {
        int lower = 0, upper = 0;
        foreach (var node in nodes)
        {
            string kw = WrittenKeyword(node);
            if (kw == kw.ToLowerInvariant()) lower++;
            else if (kw == kw.ToUpperInvariant()) upper++;
        }
        bool majorityLower = lower > upper;
        foreach (var node in nodes)
        {
            string kw = WrittenKeyword(node);
            if (majorityLower && kw != kw.ToLowerInvariant())
                warn.Warn(node.Location, "ConsistentInstructionCasing", $"Command '{kw}' should match the case of the command majority (lowercase)");
            else if (!majorityLower && kw != kw.ToUpperInvariant())
                warn.Warn(node.Location, "ConsistentInstructionCasing", $"Command '{kw}' should match the case of the command majority (uppercase)");
        }
    }

    public static void CheckStage(BoundStage stage, BindErrors warn)
    {
        var lastUse = new Dictionary<string, SourceLocation>(StringComparer.Ordinal);
        bool shellSet = false, workdirSet = false;
        foreach (var (node, instruction) in stage.Instructions)
        {
            switch (instruction)
            {
                case ShellInstruction:
                    shellSet = true;
                    break;
                case CmdInstruction cmd:
                    JsonArgs(cmd.Command, "CMD");
                    UsedOnce("CMD");
                    break;
                case EntrypointInstruction entrypoint:
                    JsonArgs(entrypoint.Command, "ENTRYPOINT");
                    UsedOnce("ENTRYPOINT");
                    break;
                case HealthcheckInstruction:
                    UsedOnce("HEALTHCHECK");
                    break;
                case MaintainerInstruction:
                    warn.Warn(node.Location, "MaintainerDeprecated", "Maintainer instruction is deprecated in favor of using label");
                    break;
                case EnvInstruction env:
                    LegacyKeyValue("ENV");
                    foreach (var pair in env.Pairs) Secret("ENV", pair.Key);
                    break;
                case LabelInstruction:
                    LegacyKeyValue("LABEL");
                    break;
                case ArgInstruction arg:
                    foreach (var declaration in arg.Args) Secret("ARG", declaration.Name);
                    break;
                case WorkdirInstruction workdir:
                    if (!workdirSet && !workdir.Path.StartsWith('/') && !workdir.Path.StartsWith('$'))
                        warn.Warn(node.Location, "WorkdirRelativePath", $"Relative workdir {Text.GoQuote.Quote(workdir.Path)} can have unexpected results if the base image changes");
                    workdirSet = true;
                    break;
                case ExposeInstruction expose:
                    foreach (string port in expose.Ports) Expose(port);
                    break;
            }

            void JsonArgs(CommandLine command, string name)
            {
                if (command.PrependShell && !shellSet)
                    warn.Warn(node.Location, "JSONArgsRecommended", $"JSON arguments recommended for {name} to prevent unintended behavior related to OS signals");
            }

            void UsedOnce(string name)
            {
                // Reported at the earlier instruction, which is the one that gets ignored.
                if (lastUse.TryGetValue(name, out var previous))
                    warn.Warn(previous, "MultipleInstructionsDisallowed", $"Multiple {name} instructions should not be used in the same stage because only the last one will be used");
                lastUse[name] = node.Location;
            }

            void LegacyKeyValue(string name)
            {
                if (node.Args.Count == 3 && node.Args[2].Length == 0)
                    warn.Warn(node.Location, "LegacyKeyValueFormat", $"\"{name} key=value\" should be used instead of legacy \"{name} key value\" format");
            }

            void Secret(string name, string key)
            {
                if (SecretNames.LooksSecret(key))
                    warn.Warn(node.Location, "SecretsUsedInArgOrEnv", $"Do not use ARG or ENV instructions for sensitive data ({name} {Text.GoQuote.Quote(key)})");
            }

            void Expose(string port)
            {
                if (port.Contains('$')) return;
                int slash = port.IndexOf('/');
                if (slash >= 0 && port[(slash + 1)..] != port[(slash + 1)..].ToLowerInvariant())
                    warn.Warn(node.Location, "ExposeProtoCasing", $"Defined protocol '{port}' in EXPOSE instruction should be lowercase");
                if ((slash >= 0 ? port[..slash] : port).Contains(':'))
                    warn.Warn(node.Location, "ExposeInvalidFormat", $"EXPOSE instruction should not define an IP address or host-port mapping, found '{port}'");
            }
        }
    }

    /// <summary>FROM lines: undeclared ARGs, redundant or constant <c>--platform</c>.</summary>
    public static void CheckFromExpansion(StageHeader header, ShellExpansion baseName, ShellExpansion? platform,
        IReadOnlySet<string> declaredArgs, IReadOnlyDictionary<string, string> globalArgs, BindErrors warn)
    {
        var at = header.Node.Location;
        foreach (string name in baseName.Unmatched.Concat(platform?.Unmatched ?? Enumerable.Empty<string>()).Distinct().Order(StringComparer.Ordinal))
        {
            if (!declaredArgs.Contains(name)) warn.Warn(at, "UndefinedArgInFrom", $"FROM argument '{name}' is not declared");
        }
        if (platform is null || header.Platform is null) return;
        if (platform.Matched.Count == 1 && platform.Unmatched.Count == 0 && platform.Matched.Contains("TARGETPLATFORM")
            && globalArgs.TryGetValue("TARGETPLATFORM", out var target) && platform.Result == target)
        {
            warn.Warn(at, "RedundantTargetPlatform", $"Setting platform to predefined {header.Platform} in FROM is redundant as this is the default behavior");
        }
        if (platform.Matched.Count == 0 && platform.Unmatched.Count == 0)
        {
            string[] parts = platform.Result.Split('/');
            string stageName = header.Name ?? "";
            bool mentioned = parts.Length >= 2 && (stageName.Contains(parts[0], StringComparison.Ordinal) || stageName.Contains(parts[1], StringComparison.Ordinal));
            if (parts.Length >= 2 && !mentioned)
                warn.Warn(at, "FromPlatformFlagConstDisallowed", $"FROM --platform flag should not use constant value {Text.GoQuote.Quote(platform.Result)}");
        }
    }

    /// <summary>The instruction keyword as the author wrote it (the AST stores it lower-cased).</summary>
    internal static string WrittenKeyword(AstNode node)
    {
        string original = node.Original.TrimStart();
        int end = 0;
        while (end < original.Length && !Text.GoText.IsAsciiBlank(original[end])) end++;
        string written = original[..end];
        return written.Equals(node.Keyword, StringComparison.OrdinalIgnoreCase) ? written : node.Keyword.ToUpperInvariant();
    }
}

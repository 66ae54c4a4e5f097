using Sbuild.Core;
using Sbuild.Parser;

namespace Sbuild.Frontend;

/// <summary>
/// <c>sbuild image import -c/--change</c>: Dockerfile instructions applied to the config of an imported image, as
/// <c>docker import --change</c> applies them. Only instructions that change the config are allowed (docker's list:
/// CMD, ENTRYPOINT, ENV, EXPOSE, HEALTHCHECK, LABEL, ONBUILD, USER, VOLUME, WORKDIR; docker 20.10 refuses STOPSIGNAL); each is parsed by
/// sbuild's Dockerfile parser, and words are expanded against the environment set so far.
/// </summary>
public static class ImportChanges
{
    public static ContainerConfig Apply(ContainerConfig config, IReadOnlyList<string> changes, string flag)
    {
        foreach (var change in changes)
        {
            IReadOnlyList<Instruction> instructions;
            try
            {
                instructions = InstructionBinder.Bind(DockerfileParser.Parse($"FROM scratch\n{change}\n", flag), new Dictionary<string, string>()).Stages[0].Instructions;
            }
            catch (SbuildException e)
            {
                throw new SbuildException(ErrorCode.InvalidOption, $"{flag} \"{change}\": {(e is DockerfileException d ? d.Reason : e.Message)}", e);
            }
            foreach (var instruction in instructions) config = Apply(config, instruction, change, flag);
        }
        return config;
    }

    private static ContainerConfig Apply(ContainerConfig config, Instruction instruction, string change, string flag)
    {
        var lex = new ShellLex('\\');
        var env = (config.Env ?? []).Select(e => e.Split('=', 2)).ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : "", StringComparer.Ordinal);
        string Word(string word) => lex.ProcessWord(word, env);
        List<string> Command(CommandLine command) =>
            command.PrependShell ? [.. config.Shell ?? StageConverter.DefaultShell, command.Args[0]] : command.Args.ToList();
        switch (instruction)
        {
            case CmdInstruction cmd:
                return config with { Cmd = Command(cmd.Command) };
            case EntrypointInstruction entrypoint:
                return config with { Entrypoint = Command(entrypoint.Command) };
            case EnvInstruction set:
                var vars = (config.Env ?? []).ToList();
                foreach (var (key, value) in set.Pairs.Select(p => (Word(p.Key), Word(p.Value))).ToList())
                {
                    var at = vars.FindIndex(v => v.StartsWith(key + "=", StringComparison.Ordinal));
                    if (at >= 0) vars[at] = $"{key}={value}";
                    else vars.Add($"{key}={value}");
                }
                return config with { Env = vars };
            case ExposeInstruction expose:
                var ports = new SortedDictionary<string, EmptyObject>(config.ExposedPorts ?? new(), StringComparer.Ordinal);
                foreach (var port in expose.Ports.SelectMany(p => PortSpec.Expand(Word(p), expose))) ports[port] = new EmptyObject();
                return config with { ExposedPorts = ports };
            case HealthcheckInstruction health:
                return config with { Healthcheck = health.Health };
            case LabelInstruction label:
                var labels = new SortedDictionary<string, string>(config.Labels ?? new(), StringComparer.Ordinal);
                foreach (var pair in label.Pairs) labels[Word(pair.Key)] = Word(pair.Value);
                return config with { Labels = labels };
            case OnbuildInstruction onbuild:
                return config with { OnBuild = [.. config.OnBuild ?? [], onbuild.Trigger] };
            case UserInstruction user:
                return config with { User = Word(user.User) };
            case VolumeInstruction volume:
                var volumes = new SortedDictionary<string, EmptyObject>(config.Volumes ?? new(), StringComparer.Ordinal);
                foreach (var path in volume.Paths) volumes[Word(path)] = new EmptyObject();
                return config with { Volumes = volumes };
            case WorkdirInstruction workdir:
                var dir = Word(workdir.Path);
                // Relative to the previous working directory, as in a Dockerfile.
                return config with { WorkingDir = dir.StartsWith('/') ? dir : Path.Combine(config.WorkingDir ?? "/", dir) };
            default:
                throw new SbuildException(ErrorCode.InvalidOption,
                    $"{flag} \"{change}\": only CMD, ENTRYPOINT, ENV, EXPOSE, HEALTHCHECK, LABEL, ONBUILD, USER, VOLUME and WORKDIR can change an imported image (as with docker import)");
        }
    }
}

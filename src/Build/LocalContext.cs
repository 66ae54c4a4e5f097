using Sbuild.Parser;

namespace Sbuild.Build;

/// <summary>The build context as COPY and ADD read it: a host directory and its .dockerignore rules.</summary>
public sealed record LocalContext(string Root, DockerIgnore Ignore)
{
    /// <summary><c>Dockerfile.dockerignore</c> beside the Dockerfile wins over <c>.dockerignore</c> in the context root.</summary>
    public static LocalContext Load(string root, string dockerfilePath)
    {
        var specific = dockerfilePath + ".dockerignore";
        var path = File.Exists(specific) ? specific : Path.Combine(root, ".dockerignore");
        return new LocalContext(root, File.Exists(path) ? DockerIgnore.Parse(File.ReadAllText(path), path) : DockerIgnore.Empty);
    }
}

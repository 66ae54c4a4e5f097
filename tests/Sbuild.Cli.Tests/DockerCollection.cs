namespace Sbuild.Cli.Tests;

/// <summary>Classes that build with the docker daemon run one at a time: on two cores parallel builds only slow each other.</summary>
[CollectionDefinition(Name)]
public sealed class DockerCollection
{
    public const string Name = "docker";
}

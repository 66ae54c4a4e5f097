namespace Sbuild.Exporter.Tests;

/// <summary>Classes that use the test docker daemon run one at a time: on two cores parallel docker work only slows each other.</summary>
[CollectionDefinition(Name)]
public sealed class DockerCollection
{
    public const string Name = "docker";
}

namespace Sbuild.Core.Tests;

/// <summary>
/// Tests that build with the docker daemon run one class at a time: on two cores, parallel builds only slow each
/// other down and make timings erratic, while the other test classes still run alongside.
/// </summary>
[CollectionDefinition(Name)]
public sealed class DockerCollection
{
    public const string Name = "docker";
}

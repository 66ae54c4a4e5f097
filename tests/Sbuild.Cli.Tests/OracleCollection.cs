namespace Sbuild.Cli.Tests;

/// <summary>
/// Classes that build with the reference BuildKit (and sbuild) run one at a time: on two cores parallel builds only
/// slow each other down, while test classes without builds still run alongside.
/// </summary>
[CollectionDefinition(Name)]
public sealed class OracleCollection
{
    public const string Name = "buildkit-oracle";
}

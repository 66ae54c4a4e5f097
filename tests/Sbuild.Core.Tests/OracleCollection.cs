namespace Sbuild.Core.Tests;

/// <summary>
/// Classes that build with the reference BuildKit run one at a time: on two cores parallel builds only slow each
/// other down, while the other test classes still run alongside.
/// </summary>
[CollectionDefinition(Name)]
public sealed class OracleCollection
{
    public const string Name = "buildkit-oracle";
}

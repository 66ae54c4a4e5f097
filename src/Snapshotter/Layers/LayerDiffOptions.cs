namespace Sbuild.Snapshotter;

/// <summary>How a snapshot's changes are written as a layer.</summary>
public sealed record LayerDiffOptions
{
    public static LayerDiffOptions Default { get; } = new();

    /// <summary>
    /// When set, every modification time later than this is written as this instant (BuildKit's rewrite-timestamp
    /// with SOURCE_DATE_EPOCH), so equal content gives byte-identical layers whenever it was built.
    /// </summary>
    public DateTimeOffset? SourceDateEpoch { get; init; }
}

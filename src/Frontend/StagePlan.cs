using Sbuild.Core;

namespace Sbuild.Frontend;

/// <summary>A history entry of the stage: <see cref="Layer"/> is the step that adds its layer (null: an empty_layer entry).</summary>
public sealed record PlannedHistory(string CreatedBy, OpNode? Layer);

/// <summary>
/// A stage converted to graph form: the node whose result is the stage's filesystem, and the image
/// configuration and history that its instructions produce.
/// </summary>
public sealed class StagePlan
{
    public required int Index { get; init; }
    public required string DisplayName { get; init; }
    public required OpNode Fs { get; set; }
    public required ContainerConfig Config { get; set; }
    public required string Os { get; init; }
    public required string Architecture { get; init; }
    public string? Variant { get; init; }
    /// <summary>The image author (MAINTAINER), inherited from the base.</summary>
    public string? Author { get; set; }
    /// <summary>History of the base image, kept as is.</summary>
    public required IReadOnlyList<HistoryEntry> BaseHistory { get; init; }
    public List<PlannedHistory> History { get; } = [];
    /// <summary>ARG values declared in this stage (name → value); visible to RUN and expansion, not stored in the image.</summary>
    public Dictionary<string, string> Args { get; } = new(StringComparer.Ordinal);
    /// <summary>Names of the ARGs declared in this stage (and in the stage it is built on), in order, for RUN's history.</summary>
    public List<string> DeclaredArgs { get; } = [];
    /// <summary>Whether this stage set CMD itself (an ENTRYPOINT then keeps it; otherwise ENTRYPOINT clears an inherited CMD).</summary>
    public bool CmdSet { get; set; }
}

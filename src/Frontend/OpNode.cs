using Sbuild.Parser;

namespace Sbuild.Frontend;

/// <summary>
/// What a step is to people rather than to the cache: the progress name (<c>[build 2/4] RUN make</c>) and, for steps
/// written in a Dockerfile, where (errors of the step point there) and the instruction as written.
/// </summary>
public sealed record StepDescription(string Name, SourceLocation? Location = null, string? Instruction = null)
{
    /// <summary>The stage the step belongs to, as progress names it (<c>build</c>, <c>stage-1</c>; empty for images).</summary>
    public string Stage { get; init; } = "";

    /// <summary>Of a RUN's environment, the variables that come from ARGs rather than ENV (cache-miss explanations name them so).</summary>
    public IReadOnlyList<string> Args { get; init; } = [];
}

/// <summary>
/// A node of the op graph: an op and the nodes whose filesystems it consumes, in order. Nodes are compared by
/// reference: one node used by several consumers is one step.
/// </summary>
public sealed class OpNode(Op op, IReadOnlyList<OpNode> inputs, StepDescription description)
{
    public Op Op { get; } = op;
    public IReadOnlyList<OpNode> Inputs { get; } = inputs;
    public StepDescription Description { get; } = description;

    /// <summary>Run even if the cache has a result (<c>--no-cache-filter</c>); whatever consumes this node runs too.</summary>
    public bool IgnoreCache { get; init; }
}

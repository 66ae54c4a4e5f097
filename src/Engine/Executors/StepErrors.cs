using Sbuild.Core;
using Sbuild.Frontend;
using Sbuild.Parser;

namespace Sbuild.Engine.Executors;

/// <summary>Runs part of a step so that its errors point at the instruction's line (steps without one keep their error).</summary>
internal static class StepErrors
{
    public static T At<T>(StepDescription step, Func<T> action)
    {
        try
        {
            return action();
        }
        catch (SbuildException e) when (e is not DockerfileException && step.Location is { } at)
        {
            throw new DockerfileException(e.Code, at, e.Message, step.Instruction);
        }
    }

    public static async Task<T> AtAsync<T>(StepDescription step, Func<Task<T>> action)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (SbuildException e) when (e is not DockerfileException && step.Location is { } at)
        {
            throw new DockerfileException(e.Code, at, e.Message, step.Instruction);
        }
    }

    public static Task AtAsync(StepDescription step, Func<Task> action) =>
        AtAsync(step, async () => { await action().ConfigureAwait(false); return 0; });
}

namespace Sbuild.Engine;

/// <summary>Where a step's own output (the lines a RUN prints) and build notes go; the CLI decides how to show them.</summary>
public interface IBuildLog
{
    void Output(string vertexName, string line);
    void Note(string message);

    /// <summary>Something the user should know that does not stop the build (shown as docker's WARN lines).</summary>
    void Warning(string message);
}

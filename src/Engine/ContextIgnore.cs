using Sbuild.Core;
using Sbuild.Parser;

namespace Sbuild.Engine;

/// <summary>
/// The one ".dockerignore leaves this context entry out" check. COPY and ADD (<see cref="SourceMatcher"/>,
/// <see cref="FileCopier"/>) and their cache key (<see cref="ContextChecksum"/>) all ask it, so the key covers exactly
/// what is copied. The entry is looked at with lstat, as BuildKit's context walk does: only a real directory, never a
/// symlink to one, is kept for what a <c>!pattern</c> may re-include below it.
/// </summary>
public static class ContextIgnore
{
    /// <param name="relative">The entry's path relative to the context root, as COPY names it.</param>
    /// <param name="hostPath">The entry itself on the host (a final symlink not followed).</param>
    /// <remarks>The entry is only looked at when a pattern matches it: most entries match none, and a context walk
    /// lstats each of them already.</remarks>
    public static bool ExcludesEntry(this DockerIgnore ignore, string relative, string hostPath) =>
        ignore.IsExcluded(relative)
        && ignore.Excludes(relative, isDirectory: Posix.TryLStat(hostPath, out var st) && st.Type == Posix.FileStat.Directory);
}

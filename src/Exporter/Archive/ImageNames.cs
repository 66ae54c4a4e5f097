using Sbuild.Core;

namespace Sbuild.Exporter;

/// <summary>The spellings of an image name that archive formats expect.</summary>
internal static class ImageNames
{
    /// <summary>Annotation holding the fully qualified name, as containerd and BuildKit write it.</summary>
    public const string ContainerdImageName = "io.containerd.image.name";

    /// <summary>Fully qualified: <c>app:1</c> → <c>docker.io/library/app:1</c>; names with a registry host stay as they are.</summary>
    public static string FullName(ImageReference reference)
    {
        var repository = reference.Repository;
        var slash = repository.IndexOf('/');
        if (slash < 0) repository = "docker.io/library/" + repository;
        else if (!IsRegistryHost(repository[..slash])) repository = "docker.io/" + repository;
        return new ImageReference(repository, reference.Tag, reference.Digest).ToString();
    }

    /// <summary>The OCI layout's <c>org.opencontainers.image.ref.name</c>: the tag alone (<c>1</c> for <c>app:1</c>).</summary>
    public static string? OciRefName(ImageReference reference) => reference.Tag;

    /// <summary>docker-archive RepoTags entry in Docker's short form (<c>app:1</c>); untagged names have none.</summary>
    public static string? DockerRepoTag(ImageReference reference) => reference.Tag is null ? null : $"{reference.Repository}:{reference.Tag}";

    // Docker's rule: a first path component is a registry if it has a dot or a port, or is localhost.
    private static bool IsRegistryHost(string component) =>
        component.Contains('.') || component.Contains(':') || component == "localhost";
}

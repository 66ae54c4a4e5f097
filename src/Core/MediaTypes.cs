namespace Sbuild.Core;

public static class MediaTypes
{
    public const string OciIndex = "application/vnd.oci.image.index.v1+json";
    public const string OciManifest = "application/vnd.oci.image.manifest.v1+json";
    public const string OciConfig = "application/vnd.oci.image.config.v1+json";
    public const string OciLayer = "application/vnd.oci.image.layer.v1.tar";
    public const string OciLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
    public const string OciLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
    public const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
    public const string DockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
    public const string DockerConfig = "application/vnd.docker.container.image.v1+json";
    public const string DockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip";
    public const string DockerLayer = "application/vnd.docker.image.rootfs.diff.tar";

    public static bool IsIndex(string mediaType) => mediaType is OciIndex or DockerManifestList;

    public static bool IsManifest(string mediaType) => mediaType is OciManifest or DockerManifest;

    /// <summary>
    /// The OCI name of a layer media type: a Docker schema2 base layer keeps its bytes (and digest) but is listed under
    /// the OCI type in an OCI manifest, as BuildKit does when it writes OCI media types.
    /// </summary>
    public static string LayerAsOci(string mediaType) => mediaType switch
    {
        DockerLayerGzip => OciLayerGzip,
        DockerLayer => OciLayer,
        _ => mediaType,
    };

    /// <summary>The Docker schema2 name of an OCI layer media type, for manifests written with Docker's types.</summary>
    public static string LayerAsDocker(string mediaType) => mediaType switch
    {
        OciLayerGzip => DockerLayerGzip,
        OciLayer => DockerLayer,
        _ => mediaType,
    };
}

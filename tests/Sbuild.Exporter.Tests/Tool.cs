using System.Diagnostics;

namespace Sbuild.Exporter.Tests;

public sealed record ToolResult(int ExitCode, string Stdout, string Stderr)
{
    public ToolResult EnsureSuccess(string what)
    {
        Assert.True(ExitCode == 0, $"{what} exited {ExitCode}\nstdout: {Stdout}\nstderr: {Stderr}");
        return this;
    }
}

/// <summary>Runs the real external tools the tests check our output with; a missing tool fails the test with the package to install.</summary>
internal static class Tool
{
    public const string Skopeo = "/usr/bin/skopeo";
    public const string Umoci = "/usr/bin/umoci";
    public const string OciImageTool = "/usr/bin/oci-image-tool";
    public const string Tar = "/usr/bin/tar";
    public const string Zstd = "/usr/bin/zstd";
    public const string Gzip = "/usr/bin/gzip";
    public const string Docker = "/usr/bin/docker";

    private static readonly Dictionary<string, string> Packages = new()
    {
        [Skopeo] = "skopeo",
        [Umoci] = "umoci",
        [OciImageTool] = "oci-image-tool",
        [Tar] = "tar",
        [Zstd] = "zstd",
        [Gzip] = "gzip",
        [Docker] = "docker.io",
        [DockerDaemon.Dockerd] = "docker.io",
        [TestImage.BusyboxPath] = "busybox-static",
    };

    public static void Require(string path)
    {
        if (!File.Exists(path))
            Assert.Fail($"{path} is missing: apt-get install -y {Packages.GetValueOrDefault(path, Path.GetFileName(path))}");
    }

    public static ToolResult Run(string path, params string[] args) => RunIn(null, path, args);

    public static ToolResult RunIn(string? workingDirectory, string path, params string[] args)
    {
        Require(path);
        var start = new ProcessStartInfo(path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (workingDirectory is not null) start.WorkingDirectory = workingDirectory;
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(120_000))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{path} {string.Join(' ', args)} did not finish within 120 s");
        }
        return new ToolResult(process.ExitCode, stdout, stderr.Result);
    }
}

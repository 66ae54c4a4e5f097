using Sbuild.TestSupport;

namespace Sbuild.Exporter.Tests;

/// <summary>One <see cref="TestImage"/> per test class (compressing busybox is the costly part). Tests must not change its store.</summary>
public sealed class SharedTestImage : IDisposable
{
    private readonly TempDirectory _dir = new();

    public SharedTestImage() => Image = TestImage.Build(_dir.Combine("store"));

    internal TestImage Image { get; }

    public void Dispose() => _dir.Dispose();
}

// The tests drive Linux tools (skopeo, umoci, docker) and check Unix file modes.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

using System.Security.Cryptography;
using System.Text.Json;
using Sbuild.TestSupport;

namespace Sbuild.Cli.Tests;

/// <summary>
/// What a store holds, read from its files with the OCI layout spec, the sqlite3 CLI and /proc — not with sbuild's
/// code — to check that nothing is left over: every problem found is one line of <see cref="ProblemsAsync"/>.
/// </summary>
public static class StoreState
{
    public static async Task<IReadOnlyList<string>> ProblemsAsync(string storeRoot)
    {
        var problems = new List<string>();
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
            if (line.Contains(storeRoot, StringComparison.Ordinal)) problems.Add("mounted: " + line);
        var processes = await ProcessRunner.RunAsync("pgrep", ["-a", "-f", storeRoot], new ProcessRunOptions { AllowFailure = true }, CancellationToken.None);
        foreach (var line in processes.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            if (!line.Contains("pgrep", StringComparison.Ordinal)) problems.Add("process: " + line);
        foreach (var area in (string[])["tmp", "mnt", "ingest", "leases"])
            if (Directory.Exists(Path.Combine(storeRoot, area)))
                problems.AddRange(Directory.EnumerateFileSystemEntries(Path.Combine(storeRoot, area)).Select(e => "left over: " + e));

        // Blobs: each one's content matches its name, and each is reachable from index.json or a cache record.
        var blobs = Path.Combine(storeRoot, "blobs", "sha256");
        var reachable = new HashSet<string>(StringComparer.Ordinal);
        void Reach(string digest, string? mediaType)
        {
            var hex = digest["sha256:".Length..];
            if (!reachable.Add(hex) || !File.Exists(Path.Combine(blobs, hex))) return;
            if (mediaType is null || !mediaType.Contains("manifest", StringComparison.Ordinal) && !mediaType.Contains("index", StringComparison.Ordinal)) return;
            using var document = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(blobs, hex)));
            var root = document.RootElement;
            if (root.TryGetProperty("config", out var config)) Reach(config.GetProperty("digest").GetString()!, null);
            foreach (var name in (string[])["layers", "manifests"])
                if (root.TryGetProperty(name, out var list))
                    foreach (var item in list.EnumerateArray())
                        Reach(item.GetProperty("digest").GetString()!, item.GetProperty("mediaType").GetString());
        }
        using (var index = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(storeRoot, "index.json"))))
            foreach (var manifest in index.RootElement.GetProperty("manifests").EnumerateArray())
                Reach(manifest.GetProperty("digest").GetString()!, manifest.GetProperty("mediaType").GetString());
        // A store that has never built anything has no cache_records table yet.
        var tables = await ProcessRunner.RunAsync(Tools.Sqlite3, [Path.Combine(storeRoot, "metadata.db"), "select name from sqlite_master where name = 'cache_records'"], CancellationToken.None);
        var results = tables.StandardOutput.Trim().Length == 0 ? new ProcessResult(0, "", "")
            : await ProcessRunner.RunAsync(Tools.Sqlite3, [Path.Combine(storeRoot, "metadata.db"), "select result from cache_records"], CancellationToken.None);
        var recordSnapshots = new List<string>();
        foreach (var line in results.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            using var result = JsonDocument.Parse(line);
            if (result.RootElement.TryGetProperty("Snapshot", out var snapshot) && snapshot.ValueKind == JsonValueKind.String)
                recordSnapshots.Add(snapshot.GetString()!);
            foreach (var layer in result.RootElement.GetProperty("Layers").EnumerateArray())
                Reach(layer.GetProperty("Blob").GetProperty("digest").GetString()!, null);
        }
        foreach (var file in Directory.EnumerateFiles(blobs))
        {
            var name = Path.GetFileName(file);
            if (!reachable.Contains(name)) problems.Add("unreferenced blob: " + name);
            await using var stream = File.OpenRead(file);
            if (Convert.ToHexStringLower(await SHA256.HashDataAsync(stream)) != name) problems.Add("corrupt blob: " + name);
        }

        // Snapshots: committed ones only, each a numbered directory, each step reachable from a record.
        foreach (var rootName in (string[])["snapshots", "snapshots-native"])
        {
            var catalogPath = Path.Combine(storeRoot, rootName, "catalog.db");
            if (!File.Exists(catalogPath)) continue;
            var rows = await ProcessRunner.RunAsync(Tools.Sqlite3, ["-separator", "\t", catalogPath, "select key, id, kind, coalesce(parent, '') from snapshots"], CancellationToken.None);
            var snapshots = rows.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split('\t'))
                .ToDictionary(f => f[0], f => (Id: long.Parse(f[1], System.Globalization.CultureInfo.InvariantCulture), Kind: f[2], Parent: f[3].Length == 0 ? null : f[3]));
            var live = new HashSet<string>(StringComparer.Ordinal);
            foreach (var name in recordSnapshots)
                for (var n = name; n is not null && live.Add(n);)
                    n = snapshots.TryGetValue(n, out var s) ? s.Parent : null;
            foreach (var (key, snapshot) in snapshots)
            {
                if (snapshot.Kind != "Committed") problems.Add($"{rootName}: {snapshot.Kind} snapshot {key}");
                else if (key.StartsWith("step-", StringComparison.Ordinal) && !live.Contains(key)) problems.Add($"{rootName}: unreferenced snapshot {key}");
            }
            var ids = snapshots.Values.Select(s => s.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToHashSet();
            foreach (var dir in Directory.EnumerateDirectories(Path.Combine(storeRoot, rootName)))
                if (!ids.Contains(Path.GetFileName(dir))) problems.Add($"{rootName}: directory {dir} not in the catalog");
            foreach (var id in ids)
                if (!Directory.Exists(Path.Combine(storeRoot, rootName, id))) problems.Add($"{rootName}: snapshot directory {id} missing");
            foreach (var file in Directory.EnumerateFiles(Path.Combine(storeRoot, rootName)))
                if (Path.GetFileName(file) is not ("catalog.db" or "catalog.db-wal" or "catalog.db-shm")) problems.Add("left over: " + file);
        }
        return problems;
    }
}

using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sbuild.Core;

namespace Sbuild.Registry.Auth;

/// <summary>
/// Finds registry credentials the way users expect after <c>sbuild login</c> or <c>docker login</c>:
/// sbuild's own auth file first, then Docker's config.json (per-host <c>credHelpers</c>, the global
/// <c>credsStore</c>, then plain <c>auths</c> entries). Only sbuild's file is ever written.
/// Both files use Docker's <c>{"auths": {"HOST": {"auth": base64("user:secret")}}}</c> layout, so either can be copied to the other.
/// </summary>
/// <remarks>
/// Files are parsed with <see cref="JsonNode"/> (AOT-safe, no reflection) so that saving keeps entries and properties sbuild does not know.
/// Nothing is cached: every <see cref="Find"/> reads the files again (and may run a helper), so a login in another terminal is seen at once.
/// Error messages name files, keys and helpers but never file contents or helper output, which may hold secrets.
/// </remarks>
public sealed class CredentialStore
{
    /// <summary>The canonical name of Docker Hub, which is also reached as index.docker.io and registry-1.docker.io.</summary>
    public const string DockerHubHost = "docker.io";

    /// <summary>The legacy v1 URL under which Docker stores Hub credentials and which it passes to helpers; we do the same, so both tools share entries.</summary>
    public const string DockerHubServerUrl = "https://index.docker.io/v1/";

    private static readonly TimeSpan DefaultHelperTimeout = TimeSpan.FromSeconds(30);

    private readonly string _sbuildAuthPath;
    private readonly string? _dockerConfigPath;
    private readonly Func<string, string?> _findHelper;
    private readonly TimeSpan _helperTimeout;

    /// <param name="sbuildAuthPath">sbuild's own file, written by <c>sbuild login</c> (it need not exist).</param>
    /// <param name="dockerConfigPath">Docker's config.json, read only; null to ignore Docker.</param>
    public CredentialStore(string sbuildAuthPath, string? dockerConfigPath)
        : this(sbuildAuthPath, dockerConfigPath, ProgramPath.Find, DefaultHelperTimeout)
    {
    }

    /// <summary>For tests: <paramref name="findHelper"/> maps a program name (<c>docker-credential-NAME</c>) to its path, so tests need not change the process-wide PATH.</summary>
    internal CredentialStore(string sbuildAuthPath, string? dockerConfigPath, Func<string, string?> findHelper, TimeSpan helperTimeout)
    {
        _sbuildAuthPath = sbuildAuthPath;
        _dockerConfigPath = dockerConfigPath;
        _findHelper = findHelper;
        _helperTimeout = helperTimeout;
    }

    /// <summary>The credential for <paramref name="registryHost"/> (a host[:port] or a URL), or null to go anonymous.</summary>
    /// <remarks>A source that has nothing for the host (no entry, or a helper that answers "not found") falls through to the next one.</remarks>
    public RegistryCredential? Find(string registryHost)
    {
        var host = RequireHost(registryHost);
        if (ReadObject(_sbuildAuthPath) is { } own && FromAuths(own, host, _sbuildAuthPath) is { } saved) return saved;

        if (_dockerConfigPath is null || ReadObject(_dockerConfigPath) is not { } docker) return null;
        var helpers = ObjectProperty(docker, "credHelpers", _dockerConfigPath);
        if (helpers is not null)
        {
            foreach (var key in MatchingKeys(helpers, host))
            {
                var helper = StringProperty(helpers, key, _dockerConfigPath, "credHelpers");
                if (!string.IsNullOrEmpty(helper) && RunHelper(helper, host) is { } fromHelper) return fromHelper;
            }
        }
        var store = StringProperty(docker, "credsStore", _dockerConfigPath, "");
        if (!string.IsNullOrEmpty(store) && RunHelper(store, host) is { } fromStore) return fromStore;
        return FromAuths(docker, host, _dockerConfigPath);
    }

    /// <summary>Stores <paramref name="credential"/> in sbuild's file, replacing any entry for the same registry under another alias.</summary>
    public void Save(string registryHost, RegistryCredential credential)
    {
        var host = RequireHost(registryHost);
        if (!credential.IsIdentityToken && credential.Username.Contains(':'))
            throw new SbuildException(ErrorCode.InvalidOption, $"user name for {host} must not contain ':' (it separates user and secret in {_sbuildAuthPath})");

        var root = ReadObject(_sbuildAuthPath) ?? [];
        var auths = ObjectProperty(root, "auths", _sbuildAuthPath);
        if (auths is null) root["auths"] = auths = [];
        foreach (var key in MatchingKeys(auths, host)) auths.Remove(key);
        auths[host == DockerHubHost ? DockerHubServerUrl : host] = credential.IsIdentityToken
            ? new JsonObject { ["identitytoken"] = credential.Secret }
            : new JsonObject { ["auth"] = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{credential.Username}:{credential.Secret}")) };
        WritePrivate(_sbuildAuthPath, root);
    }

    /// <summary>Deletes every entry for <paramref name="registryHost"/> (under any alias) from sbuild's file; false if there was none. Docker's config is never changed.</summary>
    public bool Remove(string registryHost)
    {
        var host = RequireHost(registryHost);
        if (ReadObject(_sbuildAuthPath) is not { } root || ObjectProperty(root, "auths", _sbuildAuthPath) is not { } auths) return false;
        var keys = MatchingKeys(auths, host);
        if (keys.Count == 0) return false;
        foreach (var key in keys) auths.Remove(key);
        WritePrivate(_sbuildAuthPath, root);
        return true;
    }

    /// <summary>
    /// The host[:port] that identifies a registry in a config key or URL, lower-cased, with Docker Hub's aliases folded to <c>docker.io</c>:
    /// <c>https://index.docker.io/v1/</c> → <c>docker.io</c>, <c>http://h:5/v2/</c> → <c>h:5</c>, <c>registry-1.docker.io</c> → <c>docker.io</c>.
    /// </summary>
    public static string NormalizeHost(string registryOrUrl)
    {
        var host = registryOrUrl.Trim();
        var scheme = host.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0) host = host[(scheme + 3)..];
        var slash = host.IndexOf('/');
        if (slash >= 0) host = host[..slash];
        host = host.ToLowerInvariant();
        return host is "index.docker.io" or "registry-1.docker.io" ? DockerHubHost : host;
    }

    private static string RequireHost(string registryHost) =>
        NormalizeHost(registryHost) is { Length: > 0 } host ? host
            : throw new SbuildException(ErrorCode.InvalidOption, $"\"{registryHost}\" is not a registry host");

    /// <summary>Keys of <paramref name="obj"/> naming <paramref name="host"/> in any spelling, in file order.</summary>
    private static List<string> MatchingKeys(JsonObject obj, string host) =>
        [.. obj.Select(p => p.Key).Where(k => NormalizeHost(k) == host)];

    /// <summary>The first usable <c>auths</c> entry for the host: identitytoken, else <c>auth</c>, else <c>username</c>/<c>password</c>. Empty entries (Docker writes them when a helper holds the secret) are skipped.</summary>
    private static RegistryCredential? FromAuths(JsonObject root, string host, string path)
    {
        if (ObjectProperty(root, "auths", path) is not { } auths) return null;
        foreach (var key in MatchingKeys(auths, host))
        {
            var where = $"auths[\"{key}\"]";
            if (auths[key] is null) continue;
            if (auths[key] is not JsonObject entry) throw Malformed(path, $"{where} must be a JSON object");

            if (StringProperty(entry, "identitytoken", path, where) is { Length: > 0 } token) return RegistryCredential.IdentityToken(token);
            if (StringProperty(entry, "auth", path, where) is { Length: > 0 } auth) return DecodeAuth(auth, path, where);
            var username = StringProperty(entry, "username", path, where);
            var password = StringProperty(entry, "password", path, where);
            if (!string.IsNullOrEmpty(username) || !string.IsNullOrEmpty(password)) return new RegistryCredential(username ?? "", password ?? "");
        }
        return null;
    }

    /// <summary>Docker's <c>auth</c> field: base64 of <c>user:secret</c>, split at the first colon (secrets may contain colons).</summary>
    private static RegistryCredential DecodeAuth(string auth, string path, string where)
    {
        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(auth.Trim()));
        }
        catch (FormatException)
        {
            throw Malformed(path, $"{where}.auth is not valid base64");
        }
        var colon = decoded.IndexOf(':');
        if (colon < 0) throw Malformed(path, $"{where}.auth must encode \"user:secret\"");
        // Docker trims NULs some old clients appended to the password.
        return new RegistryCredential(decoded[..colon], decoded[(colon + 1)..].Trim('\0'));
    }

    private RegistryCredential? RunHelper(string name, string host) =>
        CredentialHelper.Get(name, _dockerConfigPath!, _findHelper, host == DockerHubHost ? DockerHubServerUrl : host, _helperTimeout);

    /// <summary>The file's top-level object; null if the file does not exist or is empty (Docker accepts an empty config).</summary>
    private static JsonObject? ReadObject(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SbuildException(ErrorCode.FileSystem, $"cannot read credentials file {path}: {e.Message}");
        }
        if (string.IsNullOrWhiteSpace(text)) return null;

        JsonNode? node;
        try
        {
            // Duplicate keys would make JsonObject throw later, on first lookup; reject them here, with a position.
            node = JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false });
        }
        catch (JsonException e)
        {
            // e.Message can quote the offending text, which may be part of a secret: report only the position.
            // Only the duplicate-property check comes without one.
            throw Malformed(path, e.LineNumber is { } line
                ? $"invalid JSON at line {line + 1}, byte {e.BytePositionInLine + 1}"
                : "invalid JSON: a property name appears twice in one object");
        }
        return node as JsonObject ?? throw Malformed(path, "the top level must be a JSON object");
    }

    private static JsonObject? ObjectProperty(JsonObject obj, string name, string path) => obj[name] switch
    {
        null => null,
        JsonObject o => o,
        _ => throw Malformed(path, $"\"{name}\" must be a JSON object"),
    };

    private static string? StringProperty(JsonObject obj, string name, string path, string where) => obj[name] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        _ => throw Malformed(path, $"{(where.Length > 0 ? where + "." : "")}{name} must be a string"),
    };

    private static SbuildException Malformed(string path, string problem) =>
        new(ErrorCode.CredentialsUnavailable, $"malformed credentials file {path}: {problem}");

    /// <summary>
    /// Atomic replace whose temp file is created 0600, so the secret is never readable by others, not even between create and chmod.
    /// A symlinked file (dotfile managers) is written through to its target rather than replaced by a regular file.
    /// </summary>
    private static void WritePrivate(string path, JsonObject root)
    {
        var target = new FileInfo(path).LinkTarget is null ? Path.GetFullPath(path) : File.ResolveLinkTarget(path, returnFinalTarget: true)!.FullName;
        var temp = AtomicFile.TempPathBeside(target);
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(target)!, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var options = new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            };
            using (var stream = new FileStream(temp, options))
            {
                using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, IndentCharacter = '\t', IndentSize = 1 }))
                    root.WriteTo(writer);
                stream.WriteByte((byte)'\n');
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, target, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            File.Delete(temp);
            throw new SbuildException(ErrorCode.FileSystem, $"cannot write credentials file {target}: {e.Message}");
        }
    }
}

using System.ComponentModel;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sbuild.Core;

namespace Sbuild.Registry.Auth;

/// <summary>
/// Runs a Docker credential helper (docker/docker-credential-helpers protocol): <c>docker-credential-NAME get</c>
/// with the server URL on stdin, answering <c>{"ServerURL":…,"Username":…,"Secret":…}</c> on stdout.
/// </summary>
/// <remarks>
/// The helper's stdout carries the secret, so it never appears in an error message (Docker's own client does quote it).
/// Its stderr is the diagnostics channel and is quoted, shortened, because "why did the keychain fail" is otherwise unanswerable.
/// </remarks>
internal static class CredentialHelper
{
    /// <summary>What every helper prints (exit code non-zero) when it holds nothing for the URL: anonymous, not an error.</summary>
    private const string NotFoundMessage = "credentials not found in native keychain";

    public static RegistryCredential? Get(string name, string configPath, Func<string, string?> findHelper, string serverUrl, TimeSpan timeout)
    {
        var program = "docker-credential-" + name;
        var path = findHelper(program)
            ?? throw new SbuildException(ErrorCode.CredentialsUnavailable, $"credential helper {program} (set in {configPath}) was not found on PATH");

        var startInfo = new ProcessStartInfo(path)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        startInfo.ArgumentList.Add("get");

        Process process;
        try
        {
            process = Process.Start(startInfo)!;
        }
        catch (Win32Exception e)
        {
            throw Failed(program, $"could not be started: {e.Message}");
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            try
            {
                process.StandardInput.Write(serverUrl);
                process.StandardInput.Close();
            }
            catch (IOException)
            {
                // The helper exited without reading stdin; its exit code says what happened.
            }

            // A helper may wait on a keychain prompt or a hung D-Bus: never let it hang the build.
            if (!Task.WhenAll(stdout, stderr, process.WaitForExitAsync()).Wait(timeout))
            {
                try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                throw Failed(program, $"did not answer within {timeout.TotalSeconds:0} s");
            }

            var output = stdout.Result;
            if (process.ExitCode != 0)
            {
                if (output.Trim() == NotFoundMessage) return null;
                throw Failed(program, $"exited with code {process.ExitCode}{Summary(stderr.Result)}");
            }
            return Parse(program, output);
        }
    }

    /// <summary>The helper's answer; an empty secret (some helpers' way of saying "nothing stored") means anonymous.</summary>
    private static RegistryCredential? Parse(string program, string output)
    {
        try
        {
            if (JsonNode.Parse(output) is JsonObject answer
                && answer["Username"] is JsonValue user && user.GetValueKind() is JsonValueKind.String
                && answer["Secret"] is JsonValue secret && secret.GetValueKind() is JsonValueKind.String)
            {
                var value = secret.GetValue<string>();
                return value.Length == 0 ? null : new RegistryCredential(user.GetValue<string>(), value);
            }
        }
        catch (JsonException)
        {
            // Fall through: the output may hold the secret, so neither it nor the parser's message (which can quote it) is shown.
        }
        throw Failed(program, "did not print {\"Username\": …, \"Secret\": …} JSON");
    }

    /// <summary>The first line of stderr, shortened, as ": …", or nothing.</summary>
    private static string Summary(string stderr)
    {
        var line = stderr.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0);
        if (line is null) return "";
        return $": {(line.Length > 200 ? line[..200] + "…" : line)}";
    }

    private static SbuildException Failed(string program, string problem) =>
        new(ErrorCode.CredentialsUnavailable, $"credential helper {program} {problem}");
}

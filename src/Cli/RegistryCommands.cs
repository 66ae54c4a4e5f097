using System.CommandLine;
using Sbuild.Core;
using Sbuild.Registry;
using Sbuild.Registry.Auth;

namespace Sbuild.Cli;

/// <summary><c>sbuild pull</c>, <c>push</c>, <c>login</c> and <c>logout</c>.</summary>
public static class RegistryCommands
{
    public static Command Pull(Option<string?> rootOption, Option<string[]> mirrorOption)
    {
        var name = new Argument<string>("NAME[:TAG|@DIGEST]") { Description = "Image to pull, e.g. busybox or 127.0.0.1:5000/team/app:1" };
        var platform = new Option<string?>("--platform") { Description = "Platform to pull from a multi-platform image (default: the host's, e.g. linux/amd64)" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Print only the digest" };
        var command = new Command("pull", "Pull an image from a registry into the local store") { name, platform, quiet };
        command.SetAction(async (parse, ct) =>
        {
            var reference = ImageReference.Parse(parse.GetValue(name)!);
            var wanted = parse.GetValue(platform) is { } p ? PlatformMatcher.Parse(p, "--platform") : Platform.Host;
            var store = new ImageStore(StoreLocation.Resolve(parse.GetValue(rootOption)));
            using var hold = StoreHold.Shared(store.Root);
            using var session = Registries.Session(parse.GetValue(mirrorOption) ?? []);
            var log = Notes(parse.GetValue(quiet));
            var pulled = await new ImagePuller(session, store, log).PullAsync(reference, wanted, ct);
            Console.Out.WriteLine(pulled.RepositoryDigest);
            return 0;
        });
        return command;
    }

    public static Command Push(Option<string?> rootOption)
    {
        var name = new Argument<string>("NAME[:TAG]") { Description = "Image of the local store to push; its name says where (e.g. 127.0.0.1:5000/app:1)" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Print only the digest" };
        var platform = new Option<string?>("--platform") { Description = "Push only this platform's image of a multi-platform image, os/arch[/variant], under the name (as docker push --platform)" };
        var command = new Command("push", "Push an image from the local store to its registry") { name, quiet, platform };
        command.SetAction(async (parse, ct) =>
        {
            var reference = ImageReference.Parse(parse.GetValue(name)!);
            var wanted = parse.GetValue(platform) is { } p ? PlatformMatcher.Parse(p, "--platform") : null;
            var store = new ImageStore(StoreLocation.Resolve(parse.GetValue(rootOption)));
            using var hold = StoreHold.Shared(store.Root);
            var image = store.Find(reference)
                ?? throw new SbuildException(ErrorCode.BaseImageNotFound, $"push {reference}: no image of that name in the local store {store.Root} (see `sbuild images`)");
            var manifest = wanted is null ? image.Manifest : StoredPlatforms.SelectProvided(store.Content, image.Manifest, wanted)
                ?? throw new SbuildException(ErrorCode.PlatformNotFound, $"push {reference}: image with reference {reference} was found but does not provide the specified platform ({wanted})");
            using var session = Registries.Session([]);
            var pushed = await new ImagePusher(session, store, Notes(parse.GetValue(quiet))).PushAsync(manifest, reference, ct);
            Console.Out.WriteLine(pushed);
            return 0;
        });
        return command;
    }

    public static Command Login()
    {
        var registry = new Argument<string?>("REGISTRY") { Description = "host[:port] of the registry (default: Docker Hub)", Arity = ArgumentArity.ZeroOrOne };
        var username = new Option<string?>("--username", "-u") { Description = "User name" };
        var password = new Option<string?>("--password", "-p") { Description = "Password or token (prefer --password-stdin: a flag shows in the process list)" };
        var passwordStdin = new Option<bool>("--password-stdin") { Description = "Read the password or token from standard input" };
        var command = new Command("login", "Check credentials with a registry and store them (0600) for pulls and pushes") { registry, username, password, passwordStdin };
        command.SetAction(async (parse, ct) =>
        {
            var host = Registries.RegistryArgument(parse.GetValue(registry));
            var user = parse.GetValue(username);
            var secret = parse.GetValue(password);
            if (parse.GetValue(passwordStdin))
            {
                if (secret is not null) throw new SbuildException(ErrorCode.InvalidOption, "--password and --password-stdin are mutually exclusive");
                secret = (await Console.In.ReadToEndAsync(ct)).TrimEnd('\r', '\n');
            }
            if (string.IsNullOrEmpty(user)) throw new SbuildException(ErrorCode.InvalidOption, "login: --username is required");
            if (string.IsNullOrEmpty(secret)) throw new SbuildException(ErrorCode.InvalidOption, "login: a password is required (--password-stdin or --password)");
            var credential = new RegistryCredential(user, secret);
            using (var session = Registries.Session([], _ => credential))
                await session.CheckAccessAsync(host, ct);
            Registries.Credentials().Save(host, credential);
            Console.Out.WriteLine("Login Succeeded");
            return 0;
        });
        return command;
    }

    public static Command Logout()
    {
        var registry = new Argument<string?>("REGISTRY") { Description = "host[:port] of the registry (default: Docker Hub)", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("logout", "Remove the credentials sbuild login stored for a registry") { registry };
        command.SetAction(parse =>
        {
            var host = Registries.RegistryArgument(parse.GetValue(registry));
            Console.Out.WriteLine(Registries.Credentials().Remove(host) ? $"Removing login credentials for {host}" : $"Not logged in to {host}");
            return 0;
        });
        return command;
    }

    /// <summary>Progress notes go to standard error (standard output carries only the digest), like the build's.</summary>
    private static Action<string> Notes(bool quiet) => quiet ? _ => { } : message => Console.Error.WriteLine($"=> {message}");
}

using System.CommandLine;
using Sbuild.Core;
using Sbuild.Engine;

namespace Sbuild.Cli;

/// <summary><c>sbuild doctor [--fix]</c>, also <c>sbuild store check [--fix]</c>: checks the store, one problem a line, exit 1 when there are any.</summary>
public static class DoctorCommand
{
    public static Command Doctor(Option<string?> rootOption) => Create("doctor", rootOption);

    /// <summary><c>sbuild store</c>, holding <c>check</c> (the same as doctor).</summary>
    public static Command Store(Option<string?> rootOption) => new("store", "Manage the local store") { Create("check", rootOption) };

    private static Command Create(string name, Option<string?> rootOption)
    {
        var fix = new Option<bool>("--fix") { Description = "Repair what can be repaired without losing an image, and say what was done" };
        var command = new Command(name, "Check the store: blob digests, image and cache references, snapshot catalogs, leftovers of ended builds") { fix };
        command.SetAction(parse =>
        {
            var store = new ImageStore(StoreLocation.Resolve(parse.GetValue(rootOption)));
            var repair = parse.GetValue(fix);
            StoreCheckReport report;
            // Alone on the store: what a running build has in progress would look like leftovers.
            using (StoreLock.Exclusive(store.Root, TimeSpan.FromMinutes(30)))
                report = StoreCheck.Run(store, repair);
            foreach (var problem in report.Problems) Console.Out.WriteLine(problem);
            foreach (var repaired in report.Repairs) Console.Out.WriteLine("fixed: " + repaired);
            var remaining = repair ? report.Unrepaired : report.Problems;
            Console.Error.WriteLine(remaining.Count == 0
                ? report.Problems.Count == 0 ? "store is consistent" : "store repaired"
                : $"{remaining.Count} problem(s){(repair ? " could not be repaired" : "; sbuild doctor --fix repairs what it can")}");
            return remaining.Count == 0 ? 0 : 1;
        });
        return command;
    }
}

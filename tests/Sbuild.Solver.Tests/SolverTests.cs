using System.Text;
using Sbuild.Core;
using Sbuild.Solver;

namespace Sbuild.Solver.Tests;

public sealed class SolverTests
{
    /// <summary>Concatenates its inputs' results with its own text; counts executions.</summary>
    private sealed class ConcatOp(string text, Func<Task>? during = null) : IOp<string>
    {
        public int Executions;
        public string Name => text;
        public ValueTask<Digest> CacheKeyAsync(IReadOnlyList<Digest> inputs, CancellationToken ct) => ValueTask.FromResult(KeyOf(text, inputs));

        public async Task<string> ExecuteAsync(IReadOnlyList<string> inputs, CancellationToken ct)
        {
            Interlocked.Increment(ref Executions);
            if (during is not null) await during();
            return string.Concat(inputs) + text;
        }
    }

    private static Digest KeyOf(string text, IReadOnlyList<Digest> inputs) =>
        Digest.Of(Encoding.UTF8.GetBytes(string.Join('\n', inputs.Select(i => i.ToString()).Prepend(text))));

    /// <summary>Like COPY --from: reads only the first character of its input, so that is what its key holds of it.</summary>
    private sealed class FirstCharOp(string text) : IOp<string>
    {
        public int Executions;
        public string Name => text;
        public ValueTask<Digest> CacheKeyAsync(IReadOnlyList<Digest> inputs, CancellationToken ct) => ValueTask.FromResult(KeyOf(text, inputs));
        public bool KeysInputByContent(int index) => true;
        public ValueTask<Digest> InputContentDigestAsync(int index, string input, CancellationToken ct) =>
            ValueTask.FromResult(Digest.Of(Encoding.UTF8.GetBytes(input[..1])));

        public Task<string> ExecuteAsync(IReadOnlyList<string> inputs, CancellationToken ct)
        {
            Interlocked.Increment(ref Executions);
            return Task.FromResult(inputs[0][..1] + text);
        }
    }

    private sealed class MemoryCache : ICacheStore<string>
    {
        public readonly Dictionary<Digest, string> Entries = [];
        public int Lookups;
        public ValueTask<string?> GetAsync(Digest key, CancellationToken ct)
        {
            Lookups++;
            return ValueTask.FromResult(Entries.GetValueOrDefault(key));
        }
        public void Put(Digest key, string result, string description) => Entries[key] = result;
    }

    [Fact]
    public async Task Executes_inputs_before_consumers_in_order()
    {
        var a = new Vertex<string>(new ConcatOp("a"));
        var b = new Vertex<string>(new ConcatOp("b"));
        var c = new Vertex<string>(new ConcatOp("c"), a, b);
        Assert.Equal("abc", await new Solver<string>(new MemoryCache()).SolveAsync(c, CancellationToken.None));
    }

    [Fact]
    public async Task Shared_vertex_runs_once()
    {
        var shared = new ConcatOp("s");
        var s = new Vertex<string>(shared);
        var top = new Vertex<string>(new ConcatOp("t"), new Vertex<string>(new ConcatOp("x"), s), new Vertex<string>(new ConcatOp("y"), s));
        Assert.Equal("sxsyt", await new Solver<string>(new MemoryCache()).SolveAsync(top, CancellationToken.None));
        Assert.Equal(1, shared.Executions);
    }

    [Fact]
    public async Task Second_solve_with_same_definitions_is_fully_cached()
    {
        var cache = new MemoryCache();
        Vertex<string> Graph(ConcatOp leaf, ConcatOp root) => new(root, new Vertex<string>(leaf));
        await new Solver<string>(cache).SolveAsync(Graph(new ConcatOp("l"), new ConcatOp("r")), CancellationToken.None);

        var leaf = new ConcatOp("l");
        var root = new ConcatOp("r");
        var events = new List<SolveEvent>();
        var result = await new Solver<string>(cache, new SyncProgress(events)).SolveAsync(Graph(leaf, root), CancellationToken.None);
        Assert.Equal("lr", result);
        Assert.Equal(0, leaf.Executions + root.Executions);
        Assert.All(events, e => Assert.Equal(VertexStatus.Cached, e.Status));
    }

    /// <summary>Records what it is told; explains every miss as "why NAME".</summary>
    private sealed class RecordingObserver : ISolveObserver<string>
    {
        public readonly List<(string Name, SolveOutcome Outcome, int Inputs)> Seen = [];

        public string? Answered(Vertex<string> vertex, Digest key, IReadOnlyList<Digest> inputs, SolveOutcome outcome)
        {
            lock (Seen) Seen.Add((vertex.Op.Name, outcome, inputs.Count));
            return "why " + vertex.Op.Name;
        }
    }

    [Fact]
    public async Task The_observer_hears_each_outcome_and_a_miss_reason_goes_with_the_start_event()
    {
        var cache = new MemoryCache();
        await new Solver<string>(cache).SolveAsync(new Vertex<string>(new ConcatOp("r"), new Vertex<string>(new UncachedOp("base"))), CancellationToken.None);

        var observer = new RecordingObserver();
        var events = new List<SolveEvent>();
        var top = new Vertex<string>(new ConcatOp("top"), new Vertex<string>(new ConcatOp("r"), new Vertex<string>(new UncachedOp("base"))));
        await new Solver<string>(cache, new SyncProgress(events), observer).SolveAsync(top, CancellationToken.None);
        Assert.Equal([("top", SolveOutcome.Missed, 1), ("r", SolveOutcome.Cached, 1)], observer.Seen);
        Assert.Equal("why top", Assert.Single(events, e => e.Status == VertexStatus.Started).CacheMiss);

        var forced = new RecordingObserver();
        await new Solver<string>(cache, null, forced).SolveAsync(new Vertex<string>(new UncachedOp("base2")), CancellationToken.None);
        Assert.Equal([("base2", SolveOutcome.Uncached, 0)], forced.Seen);
    }

    [Fact]
    public async Task A_cached_vertex_does_not_solve_its_inputs()
    {
        var cache = new MemoryCache();
        await new Solver<string>(cache).SolveAsync(new Vertex<string>(new ConcatOp("r"), new Vertex<string>(new UncachedOp("base"))), CancellationToken.None);

        var input = new UncachedOp("base");
        var events = new List<SolveEvent>();
        var result = await new Solver<string>(cache, new SyncProgress(events)).SolveAsync(new Vertex<string>(new ConcatOp("r"), new Vertex<string>(input)), CancellationToken.None);
        Assert.Equal("baser", result);
        Assert.Equal(0, input.Executions); // e.g. a base image that need not be unpacked when the step on it is cached
        Assert.Equal([("r", VertexStatus.Cached)], events.Select(e => (e.Name, e.Status)));
    }

    [Fact]
    public async Task A_lookup_ahead_reports_nothing_runs_nothing_and_its_hit_serves_the_solve()
    {
        var cache = new MemoryCache();
        var first = new ConcatOp("r");
        await new Solver<string>(cache).SolveAsync(new Vertex<string>(first, new Vertex<string>(new ConcatOp("base"))), CancellationToken.None);

        var events = new List<SolveEvent>();
        var solver = new Solver<string>(cache, new SyncProgress(events));
        var step = new ConcatOp("r");
        var target = new Vertex<string>(step, new Vertex<string>(new ConcatOp("base")));
        Assert.True(await solver.IsCachedAsync(target, CancellationToken.None));
        Assert.Empty(events);
        cache.Entries.Clear(); // the solve takes the hit looked up ahead, not a second lookup
        Assert.Equal("baser", await solver.SolveAsync(target, CancellationToken.None));
        Assert.Equal(0, step.Executions);
        Assert.Equal([("r", VertexStatus.Cached)], events.Select(e => (e.Name, e.Status)));

        // A miss found ahead is not asked again by the solve, which runs the step.
        var missing = new Solver<string>(cache);
        var fresh = new Vertex<string>(new ConcatOp("new"));
        var lookups = cache.Lookups;
        Assert.False(await missing.IsCachedAsync(fresh, CancellationToken.None));
        Assert.Equal("new", await missing.SolveAsync(fresh, CancellationToken.None));
        Assert.Equal(lookups + 1, cache.Lookups);
        Assert.False(await new Solver<string>(cache).IsCachedAsync(new Vertex<string>(new UncachedOp("base")), CancellationToken.None));
    }

    /// <summary>An op that is never cached (like a base image, whose snapshots are the cache); counts executions.</summary>
    private sealed class UncachedOp(string text) : IOp<string>
    {
        public int Executions;
        public string Name => text;
        public bool Cacheable => false;
        public ValueTask<Digest> CacheKeyAsync(IReadOnlyList<Digest> inputs, CancellationToken ct) => ValueTask.FromResult(KeyOf(text, inputs));

        public Task<string> ExecuteAsync(IReadOnlyList<string> inputs, CancellationToken ct)
        {
            Interlocked.Increment(ref Executions);
            return Task.FromResult(text);
        }
    }

    [Fact]
    public async Task A_vertex_ignoring_the_cache_runs_and_so_does_everything_that_consumes_it()
    {
        var cache = new MemoryCache();
        Vertex<string> Graph(ConcatOp other, ConcatOp ignored, ConcatOp consumer, bool ignore) =>
            new(consumer, new Vertex<string>(ignored, new Vertex<string>(other)) { IgnoreCache = ignore });
        await new Solver<string>(cache).SolveAsync(Graph(new("o"), new("i"), new("c"), ignore: false), CancellationToken.None);

        ConcatOp other = new("o"), ignored = new("i"), consumer = new("c");
        var result = await new Solver<string>(cache).SolveAsync(Graph(other, ignored, consumer, ignore: true), CancellationToken.None);
        Assert.Equal("oic", result);
        Assert.Equal((0, 1, 1), (other.Executions, ignored.Executions, consumer.Executions)); // its own input still comes from the cache
    }

    [Fact]
    public async Task Changing_an_input_changes_the_consumer_key()
    {
        var cache = new MemoryCache();
        await new Solver<string>(cache).SolveAsync(new Vertex<string>(new ConcatOp("r"), new Vertex<string>(new ConcatOp("one"))), CancellationToken.None);
        var root = new ConcatOp("r");
        var result = await new Solver<string>(cache).SolveAsync(new Vertex<string>(root, new Vertex<string>(new ConcatOp("two"))), CancellationToken.None);
        Assert.Equal("twor", result);
        Assert.Equal(1, root.Executions);
    }

    [Fact]
    public async Task An_input_keyed_by_content_is_solved_first_and_only_what_is_read_counts()
    {
        var cache = new MemoryCache();
        await new Solver<string>(cache).SolveAsync(new Vertex<string>(new FirstCharOp("c"), new Vertex<string>(new ConcatOp("x1"))), CancellationToken.None);

        // Another input definition whose result starts the same: the consumer is a hit, though its input had to run.
        var sameStart = new ConcatOp("x2");
        var consumer = new FirstCharOp("c");
        var result = await new Solver<string>(cache).SolveAsync(new Vertex<string>(consumer, new Vertex<string>(sameStart)), CancellationToken.None);
        Assert.Equal(("xc", 1, 0), (result, sameStart.Executions, consumer.Executions));

        // What it reads changed: it runs.
        consumer = new FirstCharOp("c");
        result = await new Solver<string>(cache).SolveAsync(new Vertex<string>(consumer, new Vertex<string>(new ConcatOp("y1"))), CancellationToken.None);
        Assert.Equal(("yc", 1), (result, consumer.Executions));
    }

    [Fact]
    public async Task Independent_branches_run_concurrently()
    {
        // Each branch waits until both have started: this only completes if they run at the same time.
        var bothStarted = new Barrier(2);
        Task Meet() => Task.Run(() =>
        {
            if (!bothStarted.SignalAndWait(TimeSpan.FromSeconds(20))) throw new TimeoutException("branches did not run in parallel");
        });
        var top = new Vertex<string>(new ConcatOp("t"), new Vertex<string>(new ConcatOp("a", Meet)), new Vertex<string>(new ConcatOp("b", Meet)));
        Assert.Equal("abt", await new Solver<string>(new MemoryCache()).SolveAsync(top, CancellationToken.None));
    }

    [Fact]
    public async Task Failure_propagates_and_is_reported()
    {
        var events = new List<SolveEvent>();
        var failing = new Vertex<string>(new ConcatOp("f", () => throw new InvalidOperationException("boom")));
        var top = new Vertex<string>(new ConcatOp("t"), failing);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => new Solver<string>(new MemoryCache(), new SyncProgress(events)).SolveAsync(top, CancellationToken.None));
        Assert.Equal("boom", error.Message);
        Assert.Contains(events, e => e.Name == "f" && e.Status == VertexStatus.Failed);
        Assert.DoesNotContain(events, e => e.Name == "t" && e.Status == VertexStatus.Started);
    }

    private sealed class SyncProgress(List<SolveEvent> events) : IProgress<SolveEvent>
    {
        public void Report(SolveEvent value) { lock (events) events.Add(value); }
    }
}

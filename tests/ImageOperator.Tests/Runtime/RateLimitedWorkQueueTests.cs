using FluentAssertions;
using ImageOperator.Runtime.Queue;
using Xunit;

namespace ImageOperator.Tests.Runtime;

public sealed class RateLimitedWorkQueueTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private static RateLimitedWorkQueue<string> NewQueue(Action<int>? depth = null) =>
        new(new ExponentialBackoff<string>(TimeSpan.FromMilliseconds(5), TimeSpan.FromMinutes(5)), depthChanged: depth);

    [Fact]
    public async Task Keys_are_handed_out_in_the_order_they_were_added()
    {
        using var queue = NewQueue();
        queue.Add("a");
        queue.Add("b");
        queue.Add("c");

        var order = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var (ok, key) = await queue.GetAsync(CancellationToken.None).WaitAsync(Wait);
            ok.Should().BeTrue();
            order.Add(key);
        }

        order.Should().Equal("a", "b", "c");
    }

    [Fact]
    public async Task A_key_added_twice_while_queued_is_handed_out_once()
    {
        using var queue = NewQueue();
        queue.Add("a");
        queue.Add("a");
        queue.Add("b");

        queue.Count.Should().Be(2);
        (await queue.GetAsync(CancellationToken.None)).Key.Should().Be("a");
        (await queue.GetAsync(CancellationToken.None)).Key.Should().Be("b");
        queue.Count.Should().Be(0);
    }

    [Fact]
    public async Task A_key_added_while_being_processed_comes_back_once_after_Done_and_never_concurrently()
    {
        using var queue = NewQueue();
        queue.Add("a");
        var (_, key) = await queue.GetAsync(CancellationToken.None);

        queue.Add("a");
        queue.Add("a");
        queue.Count.Should().Be(0, "a key being processed is not handed to a second worker");
        var second = queue.GetAsync(CancellationToken.None);
        await Task.Delay(50);
        second.IsCompleted.Should().BeFalse();

        queue.Done(key);
        (await second.WaitAsync(Wait)).Key.Should().Be("a");
        queue.Count.Should().Be(0, "the two adds during processing collapse into one");
    }

    [Fact]
    public async Task Done_without_a_new_add_does_not_requeue()
    {
        using var queue = NewQueue();
        queue.Add("a");
        var (_, key) = await queue.GetAsync(CancellationToken.None);
        queue.Done(key);
        queue.Count.Should().Be(0);
    }

    [Fact]
    public async Task A_delayed_add_arrives_no_earlier_than_its_delay()
    {
        using var queue = NewQueue();
        var started = System.Diagnostics.Stopwatch.StartNew();
        queue.AddAfter("a", TimeSpan.FromMilliseconds(200));
        queue.Count.Should().Be(0);

        var (ok, key) = await queue.GetAsync(CancellationToken.None).WaitAsync(Wait);
        ok.Should().BeTrue();
        key.Should().Be("a");
        started.Elapsed.Should().BeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(190));
    }

    [Fact]
    public async Task The_earliest_delayed_add_of_a_key_wins_and_the_key_arrives_once()
    {
        using var queue = NewQueue();
        queue.AddAfter("a", TimeSpan.FromMinutes(10));
        queue.AddAfter("a", TimeSpan.FromMilliseconds(20));
        queue.AddAfter("a", TimeSpan.FromMinutes(5));

        (await queue.GetAsync(CancellationToken.None).WaitAsync(Wait)).Key.Should().Be("a");
        queue.Count.Should().Be(0);
    }

    [Fact]
    public async Task A_direct_add_is_not_held_back_by_a_pending_delayed_add()
    {
        using var queue = NewQueue();
        queue.AddAfter("a", TimeSpan.FromMinutes(10));
        queue.Add("a");

        (await queue.GetAsync(CancellationToken.None).WaitAsync(Wait)).Key.Should().Be("a");
    }

    [Fact]
    public async Task Rate_limited_adds_back_off_exponentially_per_key_and_Forget_resets()
    {
        using var queue = NewQueue();
        queue.AddRateLimited("a").Should().Be(TimeSpan.FromMilliseconds(5));
        queue.AddRateLimited("a").Should().Be(TimeSpan.FromMilliseconds(10));
        queue.AddRateLimited("a").Should().Be(TimeSpan.FromMilliseconds(20));
        queue.AddRateLimited("b").Should().Be(TimeSpan.FromMilliseconds(5), "back-off is per key");
        queue.Failures("a").Should().Be(3);

        queue.Forget("a");
        queue.Failures("a").Should().Be(0);
        queue.AddRateLimited("a").Should().Be(TimeSpan.FromMilliseconds(5));

        var keys = new HashSet<string>();
        for (var i = 0; i < 2; i++)
        {
            keys.Add((await queue.GetAsync(CancellationToken.None).WaitAsync(Wait)).Key);
        }

        keys.Should().BeEquivalentTo(["a", "b"]);
    }

    [Fact]
    public async Task ShutDown_releases_waiting_workers_and_refuses_new_keys()
    {
        using var queue = NewQueue();
        var waiting = queue.GetAsync(CancellationToken.None);
        queue.ShutDown();

        (await waiting.WaitAsync(Wait)).Ok.Should().BeFalse();
        queue.Add("a");
        (await queue.GetAsync(CancellationToken.None).WaitAsync(Wait)).Ok.Should().BeFalse();
    }

    [Fact]
    public async Task Depth_is_reported_as_keys_are_added_and_taken()
    {
        var depths = new List<int>();
        using var queue = NewQueue(depths.Add);
        queue.Add("a");
        queue.Add("b");
        await queue.GetAsync(CancellationToken.None);

        depths.Should().Equal(1, 2, 1);
    }

    [Fact]
    public async Task Concurrent_workers_never_hold_the_same_key()
    {
        using var queue = NewQueue();
        var inFlight = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        var violations = 0;
        var processed = 0;
        using var stop = new CancellationTokenSource();

        async Task Worker()
        {
            while (true)
            {
                var (ok, key) = await queue.GetAsync(stop.Token);
                if (!ok)
                {
                    return;
                }

                if (inFlight.AddOrUpdate(key, 1, (_, n) => n + 1) > 1)
                {
                    Interlocked.Increment(ref violations);
                }

                await Task.Yield();
                inFlight.AddOrUpdate(key, 0, (_, n) => n - 1);
                Interlocked.Increment(ref processed);
                queue.Done(key);
            }
        }

        var workers = Enumerable.Range(0, 4).Select(_ => Task.Run(Worker)).ToArray();
        for (var i = 0; i < 2000; i++)
        {
            queue.Add($"k{i % 5}");
        }

        while (queue.Count > 0)
        {
            await Task.Delay(10);
        }

        queue.ShutDown();
        await Task.WhenAll(workers).WaitAsync(Wait);
        violations.Should().Be(0);
        processed.Should().BeGreaterThanOrEqualTo(5);
    }
}

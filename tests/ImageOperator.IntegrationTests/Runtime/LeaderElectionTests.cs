using System.Diagnostics;
using FluentAssertions;
using ImageOperator.Runtime.LeaderElection;
using ImageOperator.Testing;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace ImageOperator.IntegrationTests.Runtime;

/// <summary>
/// Lease-based leader election between candidates in one process (each with its own identity, as replicas have).
/// Durations are shortened from the 15 s / 10 s / 2 s defaults so that take-overs happen within seconds.
/// </summary>
[Collection(TestCollections.ControlPlane)]
public sealed class LeaderElectionTests(ControlPlaneFixture controlPlane) : IAsyncLifetime
{
    private string ns = null!;

    private Kubernetes Client => controlPlane.Client;

    public async Task InitializeAsync() => ns = await controlPlane.CreateNamespaceAsync("leader");

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Only_one_candidate_leads_and_the_other_takes_over_when_it_stops()
    {
        var leading = 0;
        var overlap = false;
        var terms = new List<string>();
        var a = new Candidate(this, "a");
        var b = new Candidate(this, "b");

        async Task Work(string identity, CancellationToken token)
        {
            if (Interlocked.Increment(ref leading) > 1)
            {
                overlap = true;
            }

            lock (terms)
            {
                terms.Add(identity);
            }

            try
            {
                await Task.Delay(Timeout.Infinite, token);
            }
            finally
            {
                Interlocked.Decrement(ref leading);
            }
        }

        a.Start(Work);
        b.Start(Work);
        await Eventually.HoldsAsync(() => a.Elector.IsLeader || b.Elector.IsLeader, "a leader");
        var (leader, standby) = a.Elector.IsLeader ? (a, b) : (b, a);

        await Task.Delay(TimeSpan.FromSeconds(4));
        standby.Elector.IsLeader.Should().BeFalse("the lease is renewed by the leader");
        terms.Should().ContainSingle();

        var stopped = Stopwatch.StartNew();
        await leader.StopAsync();
        await Eventually.HoldsAsync(() => standby.Elector.IsLeader, "the standby to take over", TimeSpan.FromSeconds(10));
        stopped.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(3), "the stopping leader released the lease, so the standby need not wait for it to expire");
        leader.StoppedLeading.Should().Be(1);

        await standby.StopAsync();
        overlap.Should().BeFalse("two candidates never ran the controllers at once");
        terms.Should().Equal(leader.Identity, standby.Identity);
        var lease = await controlPlane.Client.CoordinationV1.ReadNamespacedLeaseAsync("lease", ns);
        lease.Spec.LeaseTransitions.Should().BeGreaterThanOrEqualTo(1);
    }

    [Fact]
    public async Task A_lease_that_is_not_renewed_is_taken_over_after_its_duration()
    {
        // A leader that crashed: its lease stays, nobody renews it.
        await controlPlane.Client.CoordinationV1.CreateNamespacedLeaseAsync(
            new V1Lease
            {
                Metadata = new V1ObjectMeta { Name = "lease", NamespaceProperty = ns },
                Spec = new V1LeaseSpec { HolderIdentity = "crashed", LeaseDurationSeconds = 3, RenewTime = DateTime.UtcNow, AcquireTime = DateTime.UtcNow },
            },
            ns);
        var candidate = new Candidate(this, "survivor");
        var watch = Stopwatch.StartNew();
        candidate.Start((_, token) => Task.Delay(Timeout.Infinite, token));

        await Eventually.HoldsAsync(() => candidate.Elector.IsLeader, "the survivor to take the expired lease", TimeSpan.FromSeconds(15));
        watch.Elapsed.Should().BeGreaterThan(TimeSpan.FromSeconds(2.5), "the lease had to expire first");
        (await controlPlane.Client.CoordinationV1.ReadNamespacedLeaseAsync("lease", ns)).Spec.HolderIdentity.Should().Be(candidate.Identity);
        await candidate.StopAsync();
    }

    [Fact]
    public async Task A_stopping_leader_keeps_its_lease_while_its_work_drains()
    {
        // Controllers drain their reconciles on shutdown (a transfer finishing or aborting its upload), for longer
        // than a lease lasts: a standby that took over meanwhile would run the same transfer beside it.
        var leader = new Candidate(this, "draining");
        var standby = new Candidate(this, "standby");
        var drained = new TaskCompletionSource();
        var drainedAt = DateTime.MinValue;
        leader.Start(async (_, token) =>
        {
            await Task.Delay(Timeout.Infinite, token).ContinueWith(_ => { }, TaskScheduler.Default);
            await Task.Delay(TimeSpan.FromSeconds(6));
            drainedAt = DateTime.UtcNow;
            drained.SetResult();
        });
        await Eventually.HoldsAsync(() => leader.Elector.IsLeader, "a leader");
        var takenAt = DateTime.MinValue;
        standby.Start((_, token) =>
        {
            takenAt = DateTime.UtcNow;
            return Task.Delay(Timeout.Infinite, token);
        });

        await leader.StopAsync(TimeSpan.FromSeconds(20));
        await Eventually.HoldsAsync(() => standby.Elector.IsLeader, "the standby to take over once the leader released the lease", TimeSpan.FromSeconds(10));

        drained.Task.IsCompleted.Should().BeTrue();
        takenAt.Should().BeAfter(drainedAt, "the lease (3 s) stayed renewed through the 6 s drain");
        await standby.StopAsync();
    }

    [Fact]
    public async Task A_leader_that_loses_its_lease_stops_its_work()
    {
        var candidate = new Candidate(this, "deposed");
        var workStopped = new TaskCompletionSource();
        candidate.Start(async (_, token) =>
        {
            try
            {
                await Task.Delay(Timeout.Infinite, token);
            }
            finally
            {
                workStopped.TrySetResult();
            }
        });
        await Eventually.HoldsAsync(() => candidate.Elector.IsLeader, "a leader");

        // Someone else takes the lease (e.g. after a network partition made this replica miss its renewals).
        var lease = await controlPlane.Client.CoordinationV1.ReadNamespacedLeaseAsync("lease", ns);
        lease.Spec.HolderIdentity = "usurper";
        lease.Spec.LeaseDurationSeconds = 60;
        lease.Spec.RenewTime = DateTime.UtcNow;
        await controlPlane.Client.CoordinationV1.ReplaceNamespacedLeaseAsync(lease, "lease", ns);

        await workStopped.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await Eventually.HoldsAsync(() => !candidate.Elector.IsLeader && candidate.StoppedLeading == 1, "the deposed leader to step down");
        await Task.Delay(TimeSpan.FromSeconds(2));
        candidate.Elector.IsLeader.Should().BeFalse("the usurper's lease is still valid");
        await candidate.StopAsync();
    }

    private sealed class Candidate(LeaderElectionTests test, string name)
    {
        private readonly CancellationTokenSource stop = new();
        private Task running = Task.CompletedTask;
        private int stoppedLeading;

        public string Identity { get; } = $"{name}-{Guid.NewGuid():N}";

        public LeaderElector Elector { get; private set; } = null!;

        public int StoppedLeading => Volatile.Read(ref stoppedLeading);

        public void Start(Func<string, CancellationToken, Task> work)
        {
            Elector = new LeaderElector(
                test.Client,
                new LeaderElectionOptions
                {
                    LeaseName = "lease",
                    LeaseNamespace = test.ns,
                    Identity = Identity,
                    LeaseDuration = TimeSpan.FromSeconds(3),
                    RenewDeadline = TimeSpan.FromSeconds(2),
                    RetryPeriod = TimeSpan.FromMilliseconds(500),
                },
                NullLogger.Instance);
            running = Elector.RunAsync(token => work(Identity, token), () => Interlocked.Increment(ref stoppedLeading), stop.Token);
        }

        public async Task StopAsync(TimeSpan? timeout = null)
        {
            await stop.CancelAsync();
            await running.WaitAsync(timeout ?? TimeSpan.FromSeconds(10));
        }
    }
}

using System.Collections.Concurrent;
using FluentAssertions;
using ImageOperator.Runtime.Controllers;
using ImageOperator.Runtime.Entities;
using ImageOperator.Runtime.Hosting;
using ImageOperator.Runtime.Informers;
using ImageOperator.Runtime.LeaderElection;
using ImageOperator.Runtime.Metrics;
using ImageOperator.Testing;
using k8s;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit;

namespace ImageOperator.IntegrationTests.Runtime;

/// <summary>Two operator replicas through the runtime's hosting: only the leader reconciles, both keep their caches warm.</summary>
[Collection(TestCollections.ControlPlane)]
public sealed class LeaderElectedHostingTests(ControlPlaneFixture controlPlane) : IAsyncLifetime
{
    private readonly ConcurrentQueue<(string Replica, string Widget)> reconciles = new();
    private string ns = null!;

    private Kubernetes Client => controlPlane.Client;

    public async Task InitializeAsync()
    {
        await WidgetCrd.InstallAsync(controlPlane.Client);
        ns = await controlPlane.CreateNamespaceAsync("replicas");
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Only_the_leader_reconciles_and_the_standby_takes_over_when_it_stops()
    {
        await using var first = await Replica.StartAsync(this, "first");
        await Eventually.HoldsAsync(() => first.Health.IsLeading && first.Health.IsReady, "the first replica to lead and sync");
        await using var second = await Replica.StartAsync(this, "second");

        var client = new EntityClient<Widget>(controlPlane.Client);
        await client.CreateAsync(Widget.New(ns, "one"));
        await Eventually.HoldsAsync(() => reconciles.Contains(("first", "one")), "the leader to reconcile");
        await Task.Delay(TimeSpan.FromSeconds(2));
        second.Health.IsLeading.Should().BeFalse();
        second.Health.IsReady.Should().BeTrue("a standby is ready: it serves webhooks and metrics");
        second.Health.CachesSynced.Should().BeTrue("a standby keeps its caches warm, so that a takeover starts from them");
        reconciles.Should().NotContain(r => r.Replica == "second");

        await first.StopAsync();
        await Eventually.HoldsAsync(() => second.Health.IsLeading && second.Health.IsReady, "the standby to take over", TimeSpan.FromSeconds(15));
        var before = reconciles.Count(r => r.Replica == "first");
        await client.CreateAsync(Widget.New(ns, "two"));
        await Eventually.HoldsAsync(() => reconciles.Contains(("second", "two")), "the new leader to reconcile");
        reconciles.Count(r => r.Replica == "first").Should().Be(before, "the stopped replica runs no controller");
        reconciles.Should().Contain(("second", "one"), "the new leader lists all entities when it starts");
    }

    private sealed record ReplicaName(string Value);

    private sealed class RecordingController(ReplicaName replica, LeaderElectedHostingTests test) : IEntityController<Widget>
    {
        public Task<ReconcileResult> ReconcileAsync(Widget entity, CancellationToken cancellationToken)
        {
            test.reconciles.Enqueue((replica.Value, entity.Name()));
            return Task.FromResult(ReconcileResult.Done);
        }

        public Task DeletedAsync(Widget entity, CancellationToken cancellationToken) => Task.CompletedTask;
    }

    private sealed class Replica : IAsyncDisposable
    {
        private readonly ServiceProvider services;
        private readonly IHostedService[] hosted;
        private bool stopped;

        private Replica(ServiceProvider services)
        {
            this.services = services;
            hosted = [.. services.GetServices<IHostedService>()];
            Health = services.GetRequiredService<OperatorHealth>();
        }

        public OperatorHealth Health { get; }

        public static async Task<Replica> StartAsync(LeaderElectedHostingTests test, string name)
        {
            var collection = new ServiceCollection()
                .AddLogging()
                .AddSingleton<IKubernetes>(test.Client)
                .AddSingleton(new OperatorMetrics(Prometheus.Metrics.NewCustomRegistry()))
                .AddSingleton(new ReplicaName(name))
                .AddSingleton(test);
            collection
                .AddOperatorRuntime(options => options.LeaderElection = new LeaderElectionOptions
                {
                    LeaseName = "operator",
                    LeaseNamespace = test.ns,
                    Identity = name,
                    LeaseDuration = TimeSpan.FromSeconds(3),
                    RenewDeadline = TimeSpan.FromSeconds(2),
                    RetryPeriod = TimeSpan.FromMilliseconds(500),
                })
                .AddController<Widget, RecordingController>(new ControllerOptions { Informer = new InformerOptions { Namespaces = [test.ns] } });
            var replica = new Replica(collection.BuildServiceProvider());
            foreach (var service in replica.hosted)
            {
                await service.StartAsync(CancellationToken.None);
            }

            return replica;
        }

        public async Task StopAsync()
        {
            if (stopped)
            {
                return;
            }

            stopped = true;
            foreach (var service in hosted)
            {
                await service.StopAsync(CancellationToken.None);
            }
        }

        public async ValueTask DisposeAsync()
        {
            await StopAsync();
            await services.DisposeAsync();
        }
    }
}

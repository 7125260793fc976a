using System.Collections.Concurrent;
using FluentAssertions;
using ImageOperator.Runtime.Controllers;
using ImageOperator.Runtime.Entities;
using ImageOperator.Runtime.Hosting;
using ImageOperator.Runtime.Informers;
using ImageOperator.Runtime.Metrics;
using ImageOperator.Testing;
using k8s;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Prometheus;
using Xunit;

namespace ImageOperator.IntegrationTests.Runtime;

/// <summary>
/// A controller that ignores status-only changes (as the import and export controllers do): its own status writes
/// neither re-run it nor cut the back-off of a failing reconcile short, while spec changes still reach it.
/// </summary>
[Collection(TestCollections.ControlPlane)]
public sealed class StatusOnlyChangeTests(ControlPlaneFixture controlPlane) : IAsyncLifetime
{
    private static readonly TimeSpan InitialBackoff = TimeSpan.FromSeconds(1);
    private readonly ConcurrentDictionary<string, int> reconciles = new();
    private string ns = null!;
    private RuntimeHost host = null!;

    public async Task InitializeAsync()
    {
        await WidgetCrd.InstallAsync(controlPlane.Client);
        ns = await controlPlane.CreateNamespaceAsync("status-only");
        var collection = new ServiceCollection()
            .AddLogging()
            .AddSingleton<IKubernetes>(controlPlane.Client)
            .AddSingleton(new OperatorMetrics(Prometheus.Metrics.NewCustomRegistry()))
            .AddSingleton(reconciles);
        collection
            .AddOperatorRuntime(options => options.LeaderElection = null)
            .AddController<Widget, NotingController>(new ControllerOptions
            {
                Workers = 2,
                InitialBackoff = InitialBackoff,
                IgnoreStatusOnlyChanges = true,
                Informer = new InformerOptions { Namespaces = [ns] },
            });
        host = await RuntimeHost.StartAsync(collection);
    }

    public async Task DisposeAsync() => await host.DisposeAsync();

    [Fact]
    public async Task A_failing_reconcile_that_notes_each_attempt_in_status_still_backs_off()
    {
        var client = new EntityClient<Widget>(controlPlane.Client);
        await client.CreateAsync(Widget.New(ns, "failing", size: -1));
        await Eventually.HoldsAsync(() => reconciles.GetValueOrDefault("failing") >= 1, "the first attempt");

        await Task.Delay(InitialBackoff * 5);

        // Back-off ceilings 1 s, 2 s, 4 s, 8 s, ... with full jitter: a handful of attempts in 5 s (more than 8 has odds
        // near 1e-4). Were each status note a new work item, there would be dozens.
        reconciles["failing"].Should().BeInRange(2, 8);
    }

    [Fact]
    public async Task Status_writes_do_not_re_run_the_controller_but_spec_changes_do()
    {
        var client = new EntityClient<Widget>(controlPlane.Client);
        var widget = await client.CreateAsync(Widget.New(ns, "steady", size: 1));
        await Eventually.GetAsync(() => client.GetAsync("steady", ns), w => w?.Status?.ObservedSize == 1, "the first reconcile");
        var settled = reconciles["steady"];

        for (var i = 0; i < 3; i++)
        {
            widget = await client.UpdateStatusAsync(widget, w => w.Status = new WidgetStatus { ObservedSize = 1, Notes = [$"external {i}"] }) ?? widget;
        }

        await Task.Delay(TimeSpan.FromSeconds(2));
        reconciles["steady"].Should().Be(settled, "status-only changes are ignored");

        var current = await client.GetAsync("steady", ns);
        current!.Spec.Size = 2;
        await client.UpdateAsync(current);
        await Eventually.GetAsync(() => client.GetAsync("steady", ns), w => w?.Status?.ObservedSize == 2, "the spec change to be reconciled");
    }

    private sealed class NotingController(EntityClient<Widget> client, ConcurrentDictionary<string, int> reconciles) : IEntityController<Widget>
    {
        public async Task<ReconcileResult> ReconcileAsync(Widget entity, CancellationToken cancellationToken)
        {
            var attempt = reconciles.AddOrUpdate(entity.Name(), 1, (_, count) => count + 1);
            if (entity.Spec.Size < 0)
            {
                // Like an import or export that records each attempt before it fails with a transient error.
                await client.UpdateStatusAsync(entity, w => w.Status = new WidgetStatus { Notes = [$"attempt {attempt}"] }, cancellationToken);
                throw new InvalidOperationException("transient failure");
            }

            if (entity.Status?.ObservedSize != entity.Spec.Size)
            {
                await client.UpdateStatusAsync(entity, w => w.Status = new WidgetStatus { ObservedSize = w.Spec.Size, Notes = ["reconciled"] }, cancellationToken);
            }

            return ReconcileResult.Done;
        }

        public Task DeletedAsync(Widget entity, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}

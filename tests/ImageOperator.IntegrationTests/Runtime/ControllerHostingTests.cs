using System.Collections.Concurrent;
using FluentAssertions;
using ImageOperator.Runtime.Controllers;
using ImageOperator.Runtime.Entities;
using ImageOperator.Runtime.Events;
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

/// <summary>Controllers and finalizers run through the runtime's hosting, as the operator host runs them.</summary>
[Collection(TestCollections.ControlPlane)]
public sealed class ControllerHostingTests(ControlPlaneFixture controlPlane) : IAsyncLifetime
{
    private const string Guard = "runtime.test.imageoperator.io/guard";
    private readonly Probe probe = new();
    private readonly CollectorRegistry registry = Prometheus.Metrics.NewCustomRegistry();
    private string ns = null!;
    private RuntimeHost host = null!;

    public async Task InitializeAsync()
    {
        await WidgetCrd.InstallAsync(controlPlane.Client);
        ns = await controlPlane.CreateNamespaceAsync("controller");
        var collection = new ServiceCollection()
            .AddLogging()
            .AddSingleton<IKubernetes>(controlPlane.Client)
            .AddSingleton(new OperatorMetrics(registry))
            .AddSingleton(probe);
        collection
            .AddOperatorRuntime(options => options.LeaderElection = null)
            .AddController<Widget, WidgetController>(new ControllerOptions { Workers = 2, Informer = new InformerOptions { Namespaces = [ns] } })
            .AddFinalizer<Widget, WidgetFinalizer>(Guard);
        host = await RuntimeHost.StartAsync(collection);
    }

    public async Task DisposeAsync() => await host.DisposeAsync();

    [Fact]
    public async Task A_finalizer_blocks_deletion_until_it_reports_complete()
    {
        var client = new EntityClient<Widget>(controlPlane.Client);
        await client.CreateAsync(Widget.New(ns, "exporting", size: 5));

        var reconciled = await Eventually.GetAsync(
            () => client.GetAsync("exporting", ns),
            w => w?.Status?.ObservedSize == 5 && w.Metadata.Finalizers?.Contains(Guard) == true,
            "the controller to add its finalizer and reconcile");
        reconciled!.Status!.Notes.Should().Contain("reconciled");

        await client.DeleteAsync("exporting", ns);
        await Eventually.HoldsAsync(() => probe.FinalizeCalls >= 3, "the finalizer to be asked again while it is not done");
        var blocked = await client.GetAsync("exporting", ns);
        blocked.Should().NotBeNull("the finalizer still blocks the deletion");
        blocked!.Metadata.DeletionTimestamp.Should().NotBeNull();
        probe.Deleted.Should().BeEmpty();

        probe.AllowDeletion = true;
        await Eventually.GetAsync(() => client.GetAsync("exporting", ns), w => w is null, "the deletion to finish");
        await Eventually.HoldsAsync(() => probe.Deleted.Contains("exporting"), "DeletedAsync with the last known state");

        var metrics = await ExportMetricsAsync();
        metrics.Should().Contain($"imageoperator_reconcile_total{{controller=\"widgets.{WidgetCrd.Group}\"}}");
        metrics.Should().Contain("imageoperator_reconcile_duration_seconds_count");
    }

    [Fact]
    public async Task A_failing_reconcile_is_retried_with_back_off_until_it_succeeds()
    {
        var client = new EntityClient<Widget>(controlPlane.Client);
        probe.FailuresLeft["flaky"] = 3;
        await client.CreateAsync(Widget.New(ns, "flaky", size: 2));

        await Eventually.GetAsync(() => client.GetAsync("flaky", ns), w => w?.Status?.ObservedSize == 2, "the reconcile to succeed after failures");
        probe.FailuresLeft["flaky"].Should().Be(0);
        (await ExportMetricsAsync()).Should().MatchRegex($"imageoperator_reconcile_errors_total\\{{controller=\"widgets\\.{WidgetCrd.Group.Replace(".", "\\.")}\"\\}} [3-9]");
    }

    [Fact]
    public async Task Events_are_recorded_with_repeats_aggregated_and_urls_redacted()
    {
        var recorder = host.Services.GetRequiredService<EventRecorder>();
        var widget = await new EntityClient<Widget>(controlPlane.Client).CreateAsync(Widget.New(ns, "noisy"));
        const string message = "Reading https://s3.example.com/b/disk.qcow2?X-Amz-Signature=feedface failed";
        for (var i = 0; i < 3; i++)
        {
            await recorder.WarningAsync(widget, "ReadFailed", message);
        }

        await recorder.NormalAsync(widget, "Ready", "done");
        var events = (await controlPlane.Client.CoreV1.ListNamespacedEventAsync(ns)).Items
            .Where(e => e.InvolvedObject.Name == "noisy").ToList();

        events.Should().HaveCount(2);
        var warning = events.Single(e => e.Reason == "ReadFailed");
        warning.Count.Should().Be(3);
        warning.Type.Should().Be("Warning");
        warning.Message.Should().Be("Reading https://s3.example.com/b/disk.qcow2?REDACTED failed");
        warning.InvolvedObject.Uid.Should().Be(widget.Uid());
        events.Single(e => e.Reason == "Ready").Count.Should().Be(1);
    }

    private async Task<string> ExportMetricsAsync()
    {
        using var stream = new MemoryStream();
        await registry.CollectAndExportAsTextAsync(stream);
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    public sealed class Probe
    {
        private int finalizeCalls;

        public volatile bool AllowDeletion;

        public int FinalizeCalls => Volatile.Read(ref finalizeCalls);

        public ConcurrentDictionary<string, int> FailuresLeft { get; } = new();

        public ConcurrentBag<string> Deleted { get; } = [];

        public void Finalizing() => Interlocked.Increment(ref finalizeCalls);
    }

    private sealed class WidgetController(EntityClient<Widget> client, Probe probe) : IEntityController<Widget>
    {
        public async Task<ReconcileResult> ReconcileAsync(Widget entity, CancellationToken cancellationToken)
        {
            if (probe.FailuresLeft.TryGetValue(entity.Name(), out var left) && left > 0)
            {
                probe.FailuresLeft[entity.Name()] = left - 1;
                throw new InvalidOperationException("transient failure");
            }

            if (entity.Status?.ObservedSize != entity.Spec.Size)
            {
                await client.UpdateStatusAsync(entity, w => w.Status = new WidgetStatus { ObservedSize = w.Spec.Size, Notes = ["reconciled"] }, cancellationToken);
            }

            return ReconcileResult.Done;
        }

        public Task DeletedAsync(Widget entity, CancellationToken cancellationToken)
        {
            probe.Deleted.Add(entity.Name());
            return Task.CompletedTask;
        }
    }

    private sealed class WidgetFinalizer(Probe probe) : IEntityFinalizer<Widget>
    {
        public Task<FinalizeResult> FinalizeAsync(Widget entity, CancellationToken cancellationToken)
        {
            probe.Finalizing();
            return Task.FromResult(probe.AllowDeletion ? FinalizeResult.Complete : FinalizeResult.RetryAfter(TimeSpan.FromMilliseconds(200)));
        }
    }
}

using System.Collections.Concurrent;
using System.Web;
using FluentAssertions;
using ImageOperator.Runtime.Entities;
using ImageOperator.Runtime.Informers;
using ImageOperator.Testing;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace ImageOperator.IntegrationTests.Runtime;

[Collection(TestCollections.ControlPlane)]
public sealed class InformerTests(ControlPlaneFixture controlPlane) : IAsyncLifetime
{
    private string ns = null!;

    public async Task InitializeAsync()
    {
        await WidgetCrd.InstallAsync(controlPlane.Client);
        ns = await controlPlane.CreateNamespaceAsync("informer");
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task The_informer_reports_creates_updates_and_deletes_and_keeps_its_store_in_step()
    {
        var client = new EntityClient<Widget>(controlPlane.Client);
        await client.CreateAsync(Widget.New(ns, "before-start"));
        var events = new ConcurrentQueue<(InformerEventType Type, string Name, int Size)>();
        var informer = new EntityInformer<Widget>(
            client, new InformerOptions { Namespaces = [ns] }, (type, w) => events.Enqueue((type, w.Name(), w.Spec.Size)), NullLogger.Instance);
        using var stop = new CancellationTokenSource();
        var running = informer.RunAsync(stop.Token);
        await informer.WaitForSyncAsync(stop.Token).WaitAsync(TimeSpan.FromSeconds(30));
        informer.Store.Get(new ObjectKey(ns, "before-start")).Should().NotBeNull("the initial list fills the store");

        var created = await client.CreateAsync(Widget.New(ns, "w1", size: 1));
        await Eventually.HoldsAsync(() => events.Contains((InformerEventType.Added, "w1", 1)), "the Added event of w1");

        created.Spec.Size = 7;
        await client.UpdateAsync(created);
        await Eventually.HoldsAsync(() => events.Contains((InformerEventType.Modified, "w1", 7)), "the Modified event of w1");
        informer.Store.Get(new ObjectKey(ns, "w1"))!.Spec.Size.Should().Be(7);

        await client.DeleteAsync("w1", ns);
        await Eventually.HoldsAsync(() => events.Any(e => e is { Type: InformerEventType.Deleted, Name: "w1" }), "the Deleted event of w1");
        informer.Store.Get(new ObjectKey(ns, "w1")).Should().BeNull();
        informer.Store.Count.Should().Be(1);

        await stop.CancelAsync();
        await running.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task An_expired_resource_version_is_recovered_by_a_fresh_list_that_reports_what_was_missed()
    {
        // The first watch asks for resourceVersion 1, long compacted out of the API server's watch cache, so the
        // server answers 410 Gone exactly as it does for a watch that was down too long.
        var expire = new ExpireFirstWatch();
        var log = new RecordingLogger();
        using var kubernetes = new Kubernetes(controlPlane.ClientConfiguration, expire);
        var client = new EntityClient<Widget>(kubernetes);
        var events = new ConcurrentQueue<(InformerEventType Type, string Name)>();
        var informer = new EntityInformer<Widget>(
            client, new InformerOptions { Namespaces = [ns], WatchTimeout = TimeSpan.FromSeconds(2) }, (type, w) => events.Enqueue((type, w.Name())), log);
        using var stop = new CancellationTokenSource();
        var running = informer.RunAsync(stop.Token);

        await Eventually.HoldsAsync(() => expire.Expired && informer.ListCount >= 2, "the informer to list again after 410 Gone");

        await new EntityClient<Widget>(controlPlane.Client).CreateAsync(Widget.New(ns, "after-expiry"));
        await Eventually.HoldsAsync(() => events.Contains((InformerEventType.Added, "after-expiry")), "the Added event after recovery");

        // Watches end every 2 s (server-side timeout); the informer re-watches from its resourceVersion without relisting.
        var lists = informer.ListCount;
        await Task.Delay(TimeSpan.FromSeconds(5));
        await new EntityClient<Widget>(controlPlane.Client).CreateAsync(Widget.New(ns, "after-rewatch"));
        await Eventually.HoldsAsync(() => events.Contains((InformerEventType.Added, "after-rewatch")), "the Added event after watch timeouts");
        informer.ListCount.Should().Be(lists, $"closed watches resume from the last resourceVersion; log:\n{log}");
        log.Warnings.Should().BeEmpty();
        log.Entries.Should().Contain(e => e.Message.Contains("expired (410 Gone)"));
        expire.Watches.Should().BeGreaterThanOrEqualTo(3);

        await stop.CancelAsync();
        await running.WaitAsync(TimeSpan.FromSeconds(10));
    }

    /// <summary>Rewrites the resourceVersion of the first watch request to "1".</summary>
    private sealed class ExpireFirstWatch : DelegatingHandler
    {
        private int watches;

        public bool Expired => watches > 0;

        public int Watches => Volatile.Read(ref watches);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var query = HttpUtility.ParseQueryString(request.RequestUri!.Query);
            if (query["watch"] == "true" && Interlocked.Increment(ref watches) == 1)
            {
                query["resourceVersion"] = "1";
                request.RequestUri = new UriBuilder(request.RequestUri) { Query = query.ToString() }.Uri;
            }

            return base.SendAsync(request, cancellationToken);
        }
    }
}

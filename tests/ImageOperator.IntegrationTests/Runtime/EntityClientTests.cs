using FluentAssertions;
using ImageOperator.Runtime.Entities;
using ImageOperator.Testing;
using k8s;
using Xunit;

namespace ImageOperator.IntegrationTests.Runtime;

[Collection(TestCollections.ControlPlane)]
public sealed class EntityClientTests(ControlPlaneFixture controlPlane) : IAsyncLifetime
{
    private string ns = null!;
    private EntityClient<Widget> client = null!;

    public async Task InitializeAsync()
    {
        await WidgetCrd.InstallAsync(controlPlane.Client);
        ns = await controlPlane.CreateNamespaceAsync("entityclient");
        client = new EntityClient<Widget>(controlPlane.Client);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public void Coordinates_come_from_the_KubernetesEntity_attribute()
    {
        client.Metadata.Should().Be(new EntityMetadata(WidgetCrd.Group, "v1", "Widget", "widgets"));
        client.Metadata.ApiVersion.Should().Be($"{WidgetCrd.Group}/v1");
    }

    [Fact]
    public async Task A_stale_status_update_conflicts_and_the_mutating_update_rereads_so_no_write_is_lost()
    {
        var created = await client.CreateAsync(Widget.New(ns, "contended"));
        var stale = EntityClient<Widget>.Clone(created);

        // Another writer updates the status first.
        await client.UpdateStatusAsync(created, w => (w.Status ??= new()).Notes.Add("theirs"));

        stale.Status = new WidgetStatus { Notes = ["blind"] };
        var blind = () => client.UpdateStatusAsync(stale);
        (await blind.Should().ThrowAsync<k8s.Autorest.HttpOperationException>()).Which.Response.StatusCode.Should().Be(System.Net.HttpStatusCode.Conflict);

        stale.Status = null;
        var merged = await client.UpdateStatusAsync(stale, w => (w.Status ??= new()).Notes.Add("mine"));

        merged!.Status!.Notes.Should().Equal("theirs", "mine");
        (await client.GetAsync("contended", ns))!.Status!.Notes.Should().Equal("theirs", "mine");
    }

    [Fact]
    public async Task Concurrent_status_writers_all_land()
    {
        var created = await client.CreateAsync(Widget.New(ns, "crowded"));

        await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            Task.Run(() => client.UpdateStatusAsync(created, w => (w.Status ??= new()).Notes.Add($"writer-{i}")))));

        var notes = (await client.GetAsync("crowded", ns))!.Status!.Notes;
        notes.Should().BeEquivalentTo(Enumerable.Range(0, 8).Select(i => $"writer-{i}"));
    }

    [Fact]
    public async Task Status_updates_do_not_touch_the_spec_and_spec_updates_do_not_touch_the_status()
    {
        var created = await client.CreateAsync(Widget.New(ns, "split", size: 3));
        var withStatus = await client.UpdateStatusAsync(created, w =>
        {
            w.Spec.Size = 99;
            w.Status = new WidgetStatus { ObservedSize = 3 };
        });
        withStatus!.Spec.Size.Should().Be(3, "the status subresource ignores spec changes");
        withStatus.Status!.ObservedSize.Should().Be(3);

        var updated = await client.UpdateAsync(withStatus, w =>
        {
            w.Spec.Size = 4;
            w.Status = null;
        });
        updated!.Spec.Size.Should().Be(4);
        updated.Status!.ObservedSize.Should().Be(3, "the main resource ignores status changes");
    }

    [Fact]
    public async Task Finalizers_are_added_once_and_removed_and_deleting_waits_for_them()
    {
        var created = await client.CreateAsync(Widget.New(ns, "guarded"));
        var once = await client.AddFinalizerAsync(created, "test.imageoperator.io/a");
        var twice = await client.AddFinalizerAsync(once!, "test.imageoperator.io/a");
        var both = await client.AddFinalizerAsync(created, "test.imageoperator.io/b");
        both!.Metadata.Finalizers.Should().Equal("test.imageoperator.io/a", "test.imageoperator.io/b");
        twice!.Metadata.Finalizers.Should().ContainSingle();

        (await client.DeleteAsync("guarded", ns)).Should().BeTrue();
        var deleting = await client.GetAsync("guarded", ns);
        deleting!.Metadata.DeletionTimestamp.Should().NotBeNull("finalizers keep the object");

        await client.RemoveFinalizerAsync(deleting, "test.imageoperator.io/a");
        (await client.GetAsync("guarded", ns)).Should().NotBeNull();
        await client.RemoveFinalizerAsync(deleting, "test.imageoperator.io/b");
        (await client.GetAsync("guarded", ns)).Should().BeNull("the last finalizer removed lets the object go");
    }
}

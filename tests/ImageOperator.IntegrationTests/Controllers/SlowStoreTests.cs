using FluentAssertions;
using ImageOperator.Api;
using ImageOperator.Api.V1Alpha1;
using ImageOperator.Controllers;
using ImageOperator.Testing;
using k8s;
using Xunit;

namespace ImageOperator.IntegrationTests.Controllers;

/// <summary>
/// Transfers through a store that is slow or goes silent (a proxy in front of the real S3 server, store "slow" with
/// a 2 s stall timeout): deleting an ImageImport while it runs cancels it (the upload is aborted, its CustomImage
/// ends Failed with ImportCancelled instead of becoming Available); a stalled store is noticed within the stall
/// timeout, reported as Retrying with what stalled, and ends in StorageError once the retry budget is spent.
/// </summary>
[Collection(TestCollections.Stack)]
public sealed class SlowStoreTests(ControlPlaneFixture controlPlane, S3ServerFixture s3) : IAsyncLifetime
{
    private readonly string _sourceBucket = S3ServerFixture.NewBucketName("sources");
    private FaultProxy _proxy = null!;
    private OperatorHarness _operator = null!;
    private TestImages _images = null!;

    public async Task InitializeAsync()
    {
        _images = await TestImages.CreateAsync();
        _proxy = new FaultProxy(s3.Endpoint);
        _operator = await OperatorHarness.StartAsync(controlPlane, s3, "slow",
            [.. OperatorHarness.ExtraStoreArguments(3, "slow", _proxy.Endpoint.AbsoluteUri.TrimEnd('/')), "--ImageOperator:ObjectStores:3:StallTimeout=00:00:02"]);
    }

    public async Task DisposeAsync()
    {
        await _operator.DisposeAsync();
        await _proxy.DisposeAsync();
        _images.Dispose();
    }

    [Fact]
    public async Task Deleting_a_running_import_cancels_it_and_its_image_never_becomes_available()
    {
        await _operator.UploadAsync(_sourceBucket, "big/disk.qcow2", await _images.InFormatAsync("qcow2"));
        _proxy.BytesPerSecond = 256 * 1024;
        await _operator.ApplyAsync(Manifests.Import("imp-cancel", "cancelled", $"objectStore: {{store: slow, bucket: {_sourceBucket}, object: big/disk.qcow2}}"));
        await _operator.WaitForAsync(_operator.Imports, "imp-cancel", i => i.Status.Phase == ImportPhase.Importing);
        await Task.Delay(TimeSpan.FromSeconds(2));

        var deletedAt = DateTime.UtcNow;
        (await _operator.KubectlAsync("delete", "imageimport", "imp-cancel", "--wait=true")).EnsureSuccess();
        var image = await _operator.WaitForAsync(_operator.Images, "cancelled", i => i.Status.LifecycleState is ImageLifecycleState.Failed or ImageLifecycleState.Available, TimeSpan.FromSeconds(30));

        image.Status.LifecycleState.Should().Be(ImageLifecycleState.Failed, KubernetesJson.Serialize(image.Status));
        image.Status.Find(ConditionTypes.Failed)!.Reason.Should().Be(ControllerReasons.ImportCancelled);
        (DateTime.UtcNow - deletedAt).Should().BeLessThan(TimeSpan.FromSeconds(20), "the transfer stops promptly, not when the source is read to its end");
        image.Status.StoredDisk.Should().BeNull();
        _proxy.BytesPerSecond = 0;
        await Task.Delay(TimeSpan.FromSeconds(3));
        (await _operator.Images.GetAsync("cancelled", _operator.Namespace))!.Status.LifecycleState.Should().Be(ImageLifecycleState.Failed, "it never becomes Available later");
        (await _operator.ListAsync(_operator.LibraryBucket, $"images/{_operator.Namespace}/cancelled/")).Should().BeEmpty();
        (await _operator.IncompleteUploadsAsync(_operator.LibraryBucket)).Should().BeEmpty("the upload was aborted");
    }

    [Fact]
    public async Task A_stalled_store_is_reported_as_retrying_with_what_stalled_then_fails_with_StorageError()
    {
        await _operator.UploadAsync(_sourceBucket, "stalled/disk.qcow2", await _images.InFormatAsync("qcow2"));
        _proxy.Stalled = true;
        var started = DateTime.UtcNow;

        await _operator.ApplyAsync(Manifests.Import("imp-stalled", "stalled", $"objectStore: {{store: slow, bucket: {_sourceBucket}, object: stalled/disk.qcow2}}",
            extra: "  retryPolicy: {maxRetries: 1}"));
        var import = await _operator.WaitForAsync(_operator.Imports, "imp-stalled", i => i.Status.Phase is ImportPhase.Failed or ImportPhase.Succeeded);
        _proxy.Stalled = false;

        import.Status.Phase.Should().Be(ImportPhase.Failed);
        var failed = import.Status.Find(ConditionTypes.Failed)!;
        failed.Reason.Should().Be(ConditionReasons.StorageError, failed.Message);
        failed.Message.Should().Contain("gave up after 1 retries").And.Contain("stalled: no bytes moved for 2 s").And.Contain("bucket '" + _sourceBucket + "'");
        var retrying = await _operator.KubectlAsync("get", "events", "--field-selector", "involvedObject.name=imp-stalled,reason=Retrying", "-o", "jsonpath={.items[*].message}");
        retrying.EnsureSuccess().StandardOutput.Should().Contain("stalled: no bytes moved for 2 s", "the Retrying event says what is slow");
        (DateTime.UtcNow - started).Should().BeLessThan(TimeSpan.FromMinutes(2), "stalls are noticed in seconds, not after the request timeouts");
    }
}

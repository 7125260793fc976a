using FluentAssertions;
using ImageOperator.Api;
using ImageOperator.Api.V1Alpha1;
using ImageOperator.Controllers;
using ImageOperator.Testing;
using k8s;
using Xunit;

namespace ImageOperator.IntegrationTests.Controllers;

/// <summary>
/// Deleting an ImageImport while it runs cancels it: the transfer stops, its upload is aborted, and the CustomImage
/// it was creating ends Failed with ImportCancelled instead of becoming Available. The source is read through a
/// throttling proxy so that the import is still running when it is deleted.
/// </summary>
[Collection(TestCollections.Stack)]
public sealed class CancellationTests(ControlPlaneFixture controlPlane, S3ServerFixture s3) : IAsyncLifetime
{
    private readonly string _sourceBucket = S3ServerFixture.NewBucketName("sources");
    private FaultProxy _proxy = null!;
    private OperatorHarness _operator = null!;
    private TestImages _images = null!;

    public async Task InitializeAsync()
    {
        _images = await TestImages.CreateAsync();
        _proxy = new FaultProxy(s3.Endpoint);
        _operator = await OperatorHarness.StartAsync(controlPlane, s3, "cancel", OperatorHarness.ExtraStoreArguments(3, "slow", _proxy.Endpoint.AbsoluteUri.TrimEnd('/')));
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
}

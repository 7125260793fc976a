using FluentAssertions;
using ImageOperator.Api.V1Alpha1;
using ImageOperator.Testing;
using k8s;
using Xunit;

namespace ImageOperator.IntegrationTests.Controllers;

/// <summary>
/// The operator stopped in the middle of an import (work cancelled at once, as when a pod is killed or loses
/// leadership) and started again: the import completes with one image, one stored object and no unfinished upload.
/// </summary>
[Collection(TestCollections.Stack)]
public sealed class RestartTests(ControlPlaneFixture controlPlane, S3ServerFixture s3) : IAsyncLifetime
{
    private readonly string _sourceBucket = S3ServerFixture.NewBucketName("sources");
    private OperatorHarness _operator = null!;
    private TestImages _images = null!;

    public async Task InitializeAsync()
    {
        _images = await TestImages.CreateAsync();
        _operator = await OperatorHarness.StartAsync(controlPlane, s3, "restart", "--ImageOperator:DrainTimeout=00:00:00");
    }

    public async Task DisposeAsync()
    {
        await _operator.DisposeAsync();
        _images.Dispose();
    }

    [Fact]
    public async Task Import_interrupted_by_a_restart_completes_without_duplicates_or_orphans()
    {
        var raw = Path.Combine(_images.Directory, "large.raw");
        await QemuImg.RunAsync("create", "-f", "raw", raw, "1G");
        await QemuImg.IoAsync(raw, "raw", "write -P 0x42 0 400M", "write -P 0x24 512M 400M");
        var source = Path.Combine(_images.Directory, "large.vmdk");
        await QemuImg.ConvertAsync(raw, source, "vmdk", "-o", "subformat=streamOptimized");
        await _operator.UploadAsync(_sourceBucket, "large.vmdk", source);

        await _operator.ApplyAsync(Manifests.Import("imp-large", "large", $"objectStore: {{bucket: {_sourceBucket}, object: large.vmdk}}"));
        await _operator.WaitForAsync(_operator.Imports, "imp-large", i => i.Status.Progress is { BytesDone: > 0 } && i.Status.Phase == ImportPhase.Importing);
        await _operator.StopOperatorAsync();

        var interrupted = await _operator.Imports.GetAsync("imp-large", _operator.Namespace);
        interrupted!.Status.Phase.Should().Be(ImportPhase.Importing, "the work was cut short");
        (await _operator.Images.GetAsync("large", _operator.Namespace))!.Status.LifecycleState.Should().Be(ImageLifecycleState.Importing);

        await _operator.StartOperatorAsync();

        var image = await _operator.WaitForAsync(_operator.Images, "large", i => i.Status.LifecycleState is ImageLifecycleState.Available or ImageLifecycleState.Failed, TimeSpan.FromMinutes(5));
        image.Status.LifecycleState.Should().Be(ImageLifecycleState.Available, KubernetesJson.Serialize(image.Status));
        (await _operator.Images.ListAsync(_operator.Namespace)).Items.Should().ContainSingle();
        var prefix = $"images/{_operator.Namespace}/";
        (await _operator.ListAsync(_operator.LibraryBucket, prefix)).Should().Equal(image.Status.StoredDisk!.Object);
        (await _operator.IncompleteUploadsAsync(_operator.LibraryBucket)).Should().BeEmpty();
        var stored = Path.Combine(_images.Directory, "large.qcow2");
        await _operator.DownloadAsync(_operator.LibraryBucket, image.Status.StoredDisk.Object, stored);
        (await OperatorHarness.Sha256Async(stored)).Should().Be(image.Status.StoredDisk.Sha256);
        (await QemuImg.CompareAsync(raw, stored, "raw", "qcow2")).ExitCode.Should().Be(0);
    }
}

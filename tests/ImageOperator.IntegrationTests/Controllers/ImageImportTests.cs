using FluentAssertions;
using ImageOperator.Api;
using ImageOperator.Api.V1Alpha1;
using ImageOperator.DiskFormats;
using ImageOperator.Testing;
using k8s;
using Xunit;

namespace ImageOperator.IntegrationTests.Controllers;

/// <summary>
/// Imports through the operator running against the real API server and Ceph RGW: each source format is uploaded,
/// an ImageImport applied with kubectl, and the stored QCOW2 judged by qemu-img against the original disk.
/// </summary>
[Collection(TestCollections.Stack)]
public sealed class ImageImportTests(ControlPlaneFixture controlPlane, S3ServerFixture s3) : IAsyncLifetime
{
    private readonly string _sourceBucket = S3ServerFixture.NewBucketName("sources");
    private OperatorHarness _operator = null!;
    private TestImages _images = null!;

    public async Task InitializeAsync()
    {
        _images = await TestImages.CreateAsync();
        _operator = await OperatorHarness.StartAsync(controlPlane, s3, "import");
    }

    public async Task DisposeAsync()
    {
        await _operator.DisposeAsync();
        _images.Dispose();
    }

    [Theory]
    [InlineData("qcow2", SourceImageType.Qcow2)]
    [InlineData("vmdk-stream", SourceImageType.Vmdk)]
    [InlineData("vmdk-sparse", SourceImageType.Vmdk)]
    [InlineData("vhd", SourceImageType.Vhd)]
    [InlineData("vdi", SourceImageType.Vdi)]
    [InlineData("raw", SourceImageType.Raw)]
    [InlineData("oci", SourceImageType.Oci)]
    public async Task Import_stores_a_qcow2_identical_to_the_source_disk(string format, SourceImageType expectedFormat)
    {
        var metadata = new ImageMetadata { OperatingSystem = "Ubuntu", OperatingSystemVersion = "22.04", LaunchMode = "EMULATED", Architecture = "x86_64" };
        var source = await _images.InFormatAsync(format, metadata);
        await _operator.UploadAsync(_sourceBucket, $"sources/disk.{format}", source);
        var name = $"img-{format}";

        await _operator.ApplyAsync(Manifests.Import($"imp-{format}", name, $"objectStore: {{bucket: {_sourceBucket}, object: sources/disk.{format}}}",
            withOperatingSystem: format != "oci"));

        var first = await _operator.WaitForAsync(_operator.Images, name, i => i.Status.LifecycleState is not null);
        first.Status.LifecycleState.Should().BeOneOf(ImageLifecycleState.Importing, ImageLifecycleState.Available);
        var image = await _operator.WaitForAsync(_operator.Images, name, i => i.Status.LifecycleState is ImageLifecycleState.Available or ImageLifecycleState.Failed);
        image.Status.LifecycleState.Should().Be(ImageLifecycleState.Available, KubernetesJson.Serialize(image.Status));
        image.Status.SourceImport!.Name.Should().Be($"imp-{format}");
        image.Status.Find(ConditionTypes.Ready)!.Status.Should().Be("True");
        image.Metadata.OwnerReferences.Should().BeNullOrEmpty("an import does not own the image it creates");

        var import = await _operator.WaitForAsync(_operator.Imports, $"imp-{format}", i => i.Status.Phase == ImportPhase.Succeeded);
        import.Status.DetectedFormat.Should().Be(expectedFormat);
        import.Status.ImageRef!.Name.Should().Be(name);
        // qemu-img is the oracle of the virtual size too (a VHD rounds it up to its CHS geometry); it reads an .oci
        // file as raw bytes, so that one holds the reference disk's size.
        var virtualSize = format == "oci" ? TestImages.DiskSize : (await QemuImg.InfoAsync(source, format == "vhd" ? "vpc" : null)).VirtualSize;
        import.Status.VirtualSizeBytes.Should().Be(virtualSize);
        import.Status.Progress!.Percent.Should().Be(100);

        var disk = image.Status.StoredDisk!;
        disk.Bucket.Should().Be(_operator.LibraryBucket);
        disk.Object.Should().Be($"images/{_operator.Namespace}/{name}/{import.Metadata.Uid}.qcow2");
        disk.VirtualSizeBytes.Should().Be(virtualSize);
        var stored = Path.Combine(_images.Directory, $"stored-{format}.qcow2");
        await _operator.DownloadAsync(disk.Bucket, disk.Object, stored);
        new FileInfo(stored).Length.Should().Be(disk.SizeBytes);
        (await OperatorHarness.Sha256Async(stored)).Should().Be(disk.Sha256);
        (await QemuImg.CheckAsync(stored, "qcow2")).ExitCode.Should().Be(0);
        var compare = await QemuImg.CompareAsync(_images.Raw, stored, "raw", "qcow2");
        compare.ExitCode.Should().Be(0, compare.ToString());
        (await _operator.IncompleteUploadsAsync(_operator.LibraryBucket)).Should().BeEmpty();

        if (format == "oci")
        {
            image.Spec.LaunchMode.Should().Be(LaunchMode.Emulated, "an .oci file's launch mode comes from its metadata");
            image.Spec.OperatingSystem.Should().Be(GuestOperatingSystem.Ubuntu);
            image.Spec.OperatingSystemVersion.Should().Be("22.04");
        }
        else
        {
            image.Spec.LaunchMode.Should().Be(LaunchMode.Paravirtualized, "foreign images default to paravirtualized");
        }
    }

    [Fact]
    public async Task Deleting_the_import_leaves_the_image()
    {
        var source = await _images.InFormatAsync("qcow2");
        await _operator.UploadAsync(_sourceBucket, "keep/disk.qcow2", source);
        await _operator.ApplyAsync(Manifests.Import("imp-keep", "img-keep", $"objectStore: {{bucket: {_sourceBucket}, object: keep/disk.qcow2}}"));
        await _operator.WaitForAsync(_operator.Imports, "imp-keep", i => i.Status.Phase == ImportPhase.Succeeded);

        (await _operator.KubectlAsync("delete", "imageimport", "imp-keep", "--wait=true")).EnsureSuccess();
        await Task.Delay(1000);

        var image = await _operator.Images.GetAsync("img-keep", _operator.Namespace);
        image.Should().NotBeNull();
        image!.Status.LifecycleState.Should().Be(ImageLifecycleState.Available);
    }
}

/// <summary>YAML of the test objects, as users would write them.</summary>
internal static class Manifests
{
    public static string Import(string name, string imageName, string source, bool withOperatingSystem = true, string extra = "") => $"""
        apiVersion: imageoperator.io/v1alpha1
        kind: ImageImport
        metadata:
          name: {name}
        spec:
          imageName: {imageName}
        {(withOperatingSystem ? "  operatingSystem: Oracle Linux\n  operatingSystemVersion: \"8.9\"" : "")}
          source:
            {source}
        {extra}
        """;

    public static string Export(string name, string imageName, ExportFormat format, string destination, bool presigned = false) => $"""
        apiVersion: imageoperator.io/v1alpha1
        kind: ImageExport
        metadata:
          name: {name}
        spec:
          imageName: {imageName}
          format: {ImageOperator.Controllers.ImageSpecMetadata.Text(format)}
          destination:
            {destination}
        {(presigned ? "  preauthenticatedRequest: {enabled: true, expiresInSeconds: 600}" : "")}
        """;
}

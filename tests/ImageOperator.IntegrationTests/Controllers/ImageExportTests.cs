using System.Text;
using FluentAssertions;
using ImageOperator.Api;
using ImageOperator.Api.V1Alpha1;
using ImageOperator.Controllers;
using ImageOperator.DiskFormats.Conversion;
using ImageOperator.Testing;
using k8s;
using Xunit;

namespace ImageOperator.IntegrationTests.Controllers;

/// <summary>
/// Exports through the operator against the real API server and Ceph RGW: every format judged by qemu-img, the
/// manifest, the pre-signed URL in its Secret fetched with curl, refusals, deletion waiting for exports, and
/// replication to a second region.
/// </summary>
[Collection(TestCollections.Stack)]
public sealed class ImageExportTests(ControlPlaneFixture controlPlane, S3ServerFixture s3) : IAsyncLifetime
{
    private readonly string _sourceBucket = S3ServerFixture.NewBucketName("sources");
    private readonly string _exportBucket = S3ServerFixture.NewBucketName("exports");
    private OperatorHarness _operator = null!;
    private TestImages _images = null!;

    public async Task InitializeAsync()
    {
        _images = await TestImages.CreateAsync();
        _operator = await OperatorHarness.StartAsync(controlPlane, s3, "export");
        await _operator.EnsureBucketAsync(_exportBucket);
    }

    public async Task DisposeAsync()
    {
        await _operator.DisposeAsync();
        _images.Dispose();
    }

    [Theory]
    [InlineData(ExportFormat.Qcow2, "qcow2")]
    [InlineData(ExportFormat.Vmdk, "vmdk")]
    [InlineData(ExportFormat.Vdi, "vdi")]
    [InlineData(ExportFormat.Vhd, "vpc")]
    [InlineData(ExportFormat.Raw, "raw")]
    [InlineData(ExportFormat.Oci, null)]
    public async Task Export_writes_a_verified_object_its_manifest_and_a_presigned_url(ExportFormat format, string? qemuFormat)
    {
        var imageName = $"src-{format.ToString().ToLowerInvariant()}";
        await _operator.ImportAsync(imageName, await _images.InFormatAsync("qcow2"), _sourceBucket);
        var exportName = $"exp-{format.ToString().ToLowerInvariant()}";
        var key = $"out/{imageName}";

        await _operator.ApplyAsync(Manifests.Export(exportName, imageName, format, $"objectStore: {{bucket: {_exportBucket}, object: {key}}}", presigned: true));

        var export = await _operator.WaitForAsync(_operator.Exports, exportName, e => e.Status.Phase is ExportPhase.Succeeded or ExportPhase.Failed);
        export.Status.Phase.Should().Be(ExportPhase.Succeeded, KubernetesJson.Serialize(export.Status));
        var status = export.Status;
        KubernetesJson.Serialize(status).Should().NotContainAny("X-Amz-Signature", "X-Amz-Credential");
        status.ManifestObject.Should().Be(key + ExportManifest.Suffix);

        var downloaded = Path.Combine(_images.Directory, $"exported-{format}");
        await _operator.DownloadAsync(_exportBucket, key, downloaded);
        new FileInfo(downloaded).Length.Should().Be(status.SizeBytes);
        (await OperatorHarness.Sha256Async(downloaded)).Should().Be(status.Sha256);
        await ShouldHoldTheReferenceDiskAsync(downloaded, qemuFormat);

        var manifestPath = Path.Combine(_images.Directory, $"manifest-{format}.json");
        await _operator.DownloadAsync(_exportBucket, status.ManifestObject!, manifestPath);
        var manifest = ExportManifest.Parse(await File.ReadAllBytesAsync(manifestPath));
        manifest.Format.Should().Be(ImageSpecMetadata.Text(format));
        manifest.DiskObject.Should().Be(key);
        manifest.SizeBytes.Should().Be(status.SizeBytes);
        manifest.Sha256.Should().Be(status.Sha256);
        manifest.OperatingSystem.Should().Be("Oracle Linux");
        manifest.OperatingSystemVersion.Should().Be("8.9");
        manifest.LaunchMode.Should().Be("PARAVIRTUALIZED");

        var secret = await _operator.Kubernetes.CoreV1.ReadNamespacedSecretAsync(status.PreauthenticatedRequestSecretRef!.Name, _operator.Namespace);
        secret.Metadata.OwnerReferences.Should().ContainSingle(o => o.Uid == export.Metadata.Uid);
        var url = Encoding.UTF8.GetString(secret.Data[status.PreauthenticatedRequestSecretRef.Key]);
        var fetched = Path.Combine(_images.Directory, $"fetched-{format}");
        (await ProcessRunner.RunAsync("curl", ["-sS", "-f", "-o", fetched, url])).EnsureSuccess();
        (await OperatorHarness.Sha256Async(fetched)).Should().Be(status.Sha256);

        var image = await _operator.WaitForAsync(_operator.Images, imageName, i => i.Status.LifecycleState == ImageLifecycleState.Available);
        image.Status.ActiveExports.Should().BeEmpty();
        (await _operator.IncompleteUploadsAsync(_exportBucket)).Should().BeEmpty();
        var events = await _operator.KubectlAsync("get", "events", "-o", "json");
        events.StandardOutput.Should().NotContain("X-Amz-Signature");
    }

    [Theory]
    [InlineData(ImageOrigin.Platform)]
    [InlineData(ImageOrigin.Marketplace)]
    [InlineData(ImageOrigin.DerivedFromMarketplace)]
    public async Task Export_of_a_platform_or_marketplace_image_is_refused_without_an_attempt(ImageOrigin origin)
    {
        var imageName = $"origin-{origin.ToString().ToLowerInvariant()}";
        await _operator.ImportAsync(imageName, await _images.InFormatAsync("qcow2"), _sourceBucket);
        (await _operator.KubectlAsync("patch", "customimage", imageName, "--type=merge", "-p", $"{{\"spec\":{{\"origin\":\"{ImageSpecMetadata.Text(origin)}\"}}}}")).EnsureSuccess();
        var key = $"refused/{imageName}";

        await _operator.ApplyAsync(Manifests.Export($"exp-{imageName}", imageName, ExportFormat.Qcow2, $"objectStore: {{bucket: {_exportBucket}, object: {key}}}"));

        var export = await _operator.WaitForAsync(_operator.Exports, $"exp-{imageName}", e => e.Status.Phase is ExportPhase.Succeeded or ExportPhase.Failed);
        export.Status.Phase.Should().Be(ExportPhase.Failed);
        export.Status.Find(ConditionTypes.Failed)!.Reason.Should().Be(ConditionReasons.ExportNotAllowed);
        (await _operator.ListAsync(_exportBucket, key)).Should().BeEmpty();
        (await _operator.IncompleteUploadsAsync(_exportBucket, key)).Should().BeEmpty();
        var image = await _operator.Images.GetAsync(imageName, _operator.Namespace);
        image!.Status.LifecycleState.Should().Be(ImageLifecycleState.Available);
        image.Status.ActiveExports.Should().BeEmpty();
    }

    [Fact]
    public async Task Deleting_an_image_waits_for_its_export_then_removes_its_disk()
    {
        // A larger disk exported as (always compressed) VMDK keeps the export busy for a few seconds.
        var big = Path.Combine(_images.Directory, "big.raw");
        await QemuImg.RunAsync("create", "-f", "raw", big, "768M");
        await QemuImg.IoAsync(big, "raw", "write -P 0x11 0 256M", "write -P 0x7e 300M 300M");
        var qcow2 = Path.Combine(_images.Directory, "big.qcow2");
        await QemuImg.ConvertAsync(big, qcow2, "qcow2");
        var image = await _operator.ImportAsync("big", qcow2, _sourceBucket);
        var disk = image.Status.StoredDisk!;

        await _operator.ApplyAsync(Manifests.Export("exp-big", "big", ExportFormat.Vmdk, $"objectStore: {{bucket: {_exportBucket}, object: out/big.vmdk}}"));
        await _operator.WaitForAsync(_operator.Images, "big", i => i.Status.ActiveExports.Contains("exp-big"));
        (await _operator.KubectlAsync("delete", "customimage", "big", "--wait=false")).EnsureSuccess();

        var blocked = await _operator.WaitForAsync(_operator.Images, "big", i => i.Status.Find(ControllerReasons.DeletionBlocked) is not null);
        blocked.Status.Find(ControllerReasons.DeletionBlocked)!.Reason.Should().Be(ConditionReasons.ExportsInProgress);
        blocked.Status.Find(ControllerReasons.DeletionBlocked)!.Message.Should().Contain("exp-big");
        (await _operator.Exports.GetAsync("exp-big", _operator.Namespace))!.Status.Phase.Should().Be(ExportPhase.Exporting);

        var export = await _operator.WaitForAsync(_operator.Exports, "exp-big", e => e.Status.Phase is ExportPhase.Succeeded or ExportPhase.Failed);
        export.Status.Phase.Should().Be(ExportPhase.Succeeded, KubernetesJson.Serialize(export.Status));
        await _operator.WaitForGoneAsync(_operator.Images, "big");
        (await _operator.ListAsync(disk.Bucket, disk.Object)).Should().BeEmpty("the finalizer deletes the stored disk");
        (await _operator.ListAsync(_exportBucket, "out/big.vmdk")).Should().Contain("out/big.vmdk", "the finished export stays");
    }

    [Fact]
    public async Task Replication_exports_to_a_second_region_and_imports_there_from_a_presigned_url()
    {
        await _operator.ImportAsync("origin", await _images.InFormatAsync("vmdk-stream"), _sourceBucket);
        var regionBucket = S3ServerFixture.NewBucketName("region2");
        await _operator.EnsureBucketAsync(regionBucket);

        await _operator.ApplyAsync(Manifests.Export("exp-replica", "origin", ExportFormat.Oci,
            $"objectStore: {{store: {OperatorHarness.SecondRegion}, bucket: {regionBucket}, object: replicas/origin.oci}}", presigned: true));
        var export = await _operator.WaitForAsync(_operator.Exports, "exp-replica", e => e.Status.Phase is ExportPhase.Succeeded or ExportPhase.Failed);
        export.Status.Phase.Should().Be(ExportPhase.Succeeded, KubernetesJson.Serialize(export.Status));

        await _operator.ApplyAsync(Manifests.Import("imp-replica", "replica",
            $"url: {{secretRef: {{name: {export.Status.PreauthenticatedRequestSecretRef!.Name}, key: url}}}}", withOperatingSystem: false));
        var replica = await _operator.WaitForAsync(_operator.Images, "replica", i => i.Status.LifecycleState is ImageLifecycleState.Available or ImageLifecycleState.Failed);
        replica.Status.LifecycleState.Should().Be(ImageLifecycleState.Available, KubernetesJson.Serialize(replica.Status));
        replica.Spec.OperatingSystem.Should().Be(GuestOperatingSystem.OracleLinux);
        replica.Spec.OperatingSystemVersion.Should().Be("8.9");
        replica.Spec.LaunchMode.Should().Be(LaunchMode.Paravirtualized, "an .oci file carries the original's launch mode");
        var stored = Path.Combine(_images.Directory, "replica.qcow2");
        await _operator.DownloadAsync(replica.Status.StoredDisk!.Bucket, replica.Status.StoredDisk.Object, stored);
        (await QemuImg.CompareAsync(_images.Raw, stored, "raw", "qcow2")).ExitCode.Should().Be(0);
        var import = await _operator.Imports.GetAsync("imp-replica", _operator.Namespace);
        KubernetesJson.Serialize(import!).Should().NotContain("X-Amz-Signature");
    }

    [Fact]
    public async Task A_qcow2_exported_by_this_platform_is_imported_as_native()
    {
        await _operator.ImportAsync("native-src", await _images.InFormatAsync("raw"), _sourceBucket);
        await _operator.ApplyAsync(Manifests.Export("exp-native", "native-src", ExportFormat.Qcow2, $"objectStore: {{bucket: {_exportBucket}, object: native/disk.qcow2}}"));
        await _operator.WaitForAsync(_operator.Exports, "exp-native", e => e.Status.Phase == ExportPhase.Succeeded);

        await _operator.ApplyAsync(Manifests.Import("imp-native", "native", $"objectStore: {{bucket: {_exportBucket}, object: native/disk.qcow2}}"));

        var image = await _operator.WaitForAsync(_operator.Images, "native", i => i.Status.LifecycleState is ImageLifecycleState.Available or ImageLifecycleState.Failed);
        image.Status.LifecycleState.Should().Be(ImageLifecycleState.Available);
        image.Spec.LaunchMode.Should().Be(LaunchMode.Native);
    }

    /// <summary>qemu-img compares the export with the reference disk; an .oci file is first unpacked by our engine.</summary>
    [Fact]
    public async Task An_export_onto_an_object_it_did_not_write_is_refused_unless_overwrite_is_set()
    {
        await _operator.ImportAsync("src-clobber", await _images.InFormatAsync("qcow2"), _sourceBucket);
        var key = "theirs/report.qcow2";
        var theirs = Path.Combine(_images.Directory, "theirs.bin");
        await File.WriteAllTextAsync(theirs, "another team's object");
        await _operator.UploadAsync(_exportBucket, key, theirs);
        var before = await _operator.S3.StatObjectAsync(new Minio.DataModel.Args.StatObjectArgs().WithBucket(_exportBucket).WithObject(key));

        await _operator.ApplyAsync(Manifests.Export("exp-clobber", "src-clobber", ExportFormat.Qcow2, $"objectStore: {{bucket: {_exportBucket}, object: {key}}}"));
        var refused = await _operator.WaitForAsync(_operator.Exports, "exp-clobber", e => e.Status.Phase is ExportPhase.Succeeded or ExportPhase.Failed);

        refused.Status.Phase.Should().Be(ExportPhase.Failed);
        var failed = refused.Status.Find(ConditionTypes.Failed)!;
        failed.Reason.Should().Be(ControllerReasons.DestinationExists);
        failed.Message.Should().Contain($"ETag {before.ETag.Trim('"')}").And.Contain("overwrite: true");
        var after = await _operator.S3.StatObjectAsync(new Minio.DataModel.Args.StatObjectArgs().WithBucket(_exportBucket).WithObject(key));
        after.ETag.Should().Be(before.ETag, "nothing was written");
        (await _operator.ListAsync(_exportBucket, key + ExportManifest.Suffix)).Should().BeEmpty();

        await _operator.ApplyAsync(Manifests.Export("exp-clobber2", "src-clobber", ExportFormat.Qcow2, $"objectStore: {{bucket: {_exportBucket}, object: {key}}}\n    overwrite: true"));
        var replaced = await _operator.WaitForAsync(_operator.Exports, "exp-clobber2", e => e.Status.Phase is ExportPhase.Succeeded or ExportPhase.Failed);

        replaced.Status.Phase.Should().Be(ExportPhase.Succeeded, KubernetesJson.Serialize(replaced.Status));
        replaced.Status.WrittenETag.Should().NotBeNullOrEmpty().And.NotBe(before.ETag.Trim('"'));
        var warnings = await _operator.KubectlAsync("get", "events", "--field-selector", "involvedObject.name=exp-clobber2,reason=DestinationExists", "-o", "jsonpath={.items[*].message}");
        warnings.EnsureSuccess().StandardOutput.Should().Contain($"ETag {before.ETag.Trim('"')}").And.Contain("replacing it");
    }

    [Fact]
    public async Task A_taken_url_secret_name_fails_the_export_before_anything_is_written()
    {
        await _operator.ImportAsync("src-taken", await _images.InFormatAsync("qcow2"), _sourceBucket);
        await _operator.PutSecretAsync("exp-taken-par", new() { ["url"] = "someone else's" });

        await _operator.ApplyAsync(Manifests.Export("exp-taken", "src-taken", ExportFormat.Vmdk, $"objectStore: {{bucket: {_exportBucket}, object: taken/disk.vmdk}}", presigned: true));
        var export = await _operator.WaitForAsync(_operator.Exports, "exp-taken", e => e.Status.Phase is ExportPhase.Succeeded or ExportPhase.Failed);

        export.Status.Phase.Should().Be(ExportPhase.Failed);
        export.Status.Find(ConditionTypes.Failed)!.Message.Should().Contain("Secret exp-taken-par exists and does not belong to this export");
        (await _operator.ListAsync(_exportBucket, "taken/")).Should().BeEmpty("neither the disk nor its manifest was written");
        (await _operator.IncompleteUploadsAsync(_exportBucket, "taken/")).Should().BeEmpty();
    }

    private async Task ShouldHoldTheReferenceDiskAsync(string exported, string? qemuFormat)
    {
        if (qemuFormat is null)
        {
            var unpacked = exported + ".raw";
            await TestImages.ConvertWithEngineAsync(exported, unpacked, OutputFormat.Raw, null);
            exported = unpacked;
            qemuFormat = "raw";
        }

        if (qemuFormat is "qcow2" or "vdi" or "vmdk")
        {
            var check = await QemuImg.CheckAsync(exported, qemuFormat);
            check.ExitCode.Should().Be(0, check.ToString());
        }

        var compare = await QemuImg.CompareAsync(_images.Raw, exported, "raw", qemuFormat);
        compare.ExitCode.Should().Be(0, compare.ToString());
    }
}

using System.Text;
using System.Text.Json.Nodes;
using FluentAssertions;
using ImageOperator.Api;
using ImageOperator.Api.V1Alpha1;
using ImageOperator.Controllers;
using ImageOperator.Testing;
using k8s;
using Minio.DataModel.Args;
using Xunit;

namespace ImageOperator.IntegrationTests.Controllers;

/// <summary>
/// Transfers across tenancies against the real API server and Ceph RGW: an export through a pre-signed PUT URL
/// (RGW has no bucket-level pre-authenticated requests, so the object-level kind is what runs here), and imports
/// from the pre-signed URL of an export manifest, intact and tampered. qemu-img judges every disk.
/// </summary>
[Collection(TestCollections.Stack)]
public sealed class ManifestAndUrlTransferTests(ControlPlaneFixture controlPlane, S3ServerFixture s3) : IAsyncLifetime
{
    private readonly string _sourceBucket = S3ServerFixture.NewBucketName("sources");
    private readonly string _exportBucket = S3ServerFixture.NewBucketName("exports");
    private readonly string _spool = Directory.CreateTempSubdirectory("ctrl-spool-").FullName;
    private OperatorHarness _operator = null!;
    private TestImages _images = null!;

    public async Task InitializeAsync()
    {
        _images = await TestImages.CreateAsync();
        _operator = await OperatorHarness.StartAsync(controlPlane, s3, "par", $"--ImageOperator:SpoolDirectory={_spool}");
        await _operator.EnsureBucketAsync(_exportBucket);
    }

    public async Task DisposeAsync()
    {
        await _operator.DisposeAsync();
        _images.Dispose();
        Directory.Delete(_spool, recursive: true);
    }

    [Fact]
    public async Task Export_to_a_presigned_PUT_url_uploads_a_checked_image_and_keeps_the_url_secret()
    {
        await _operator.ImportAsync("par-src", await _images.InFormatAsync("qcow2"), _sourceBucket);
        var url = await _operator.S3.PresignedPutObjectAsync(new PresignedPutObjectArgs().WithBucket(_exportBucket).WithObject("tenant/disk.vmdk").WithExpiry(600));
        await _operator.PutSecretAsync("put-url", new() { ["url"] = url });

        await _operator.ApplyAsync(Manifests.Export("exp-par", "par-src", ExportFormat.Vmdk, "url: {secretRef: {name: put-url, key: url}}"));

        var export = await _operator.WaitForAsync(_operator.Exports, "exp-par", e => e.Status.Phase is ExportPhase.Succeeded or ExportPhase.Failed);
        export.Status.Phase.Should().Be(ExportPhase.Succeeded, KubernetesJson.Serialize(export.Status));
        KubernetesJson.Serialize(export).Should().NotContainAny("X-Amz-Signature", "X-Amz-Credential");
        export.Status.ObjectUrl.Should().Be($"{_operator.S3Endpoint.AbsoluteUri}{_exportBucket}/tenant/disk.vmdk?REDACTED");
        export.Status.ManifestObject.Should().BeNull("a pre-signed URL authorises the disk object alone");
        export.Status.Find(ConditionTypes.Ready)!.Message.Should().Contain("Content-MD5").And.Contain("no manifest");

        var downloaded = Path.Combine(_images.Directory, "par.vmdk");
        await _operator.DownloadAsync(_exportBucket, "tenant/disk.vmdk", downloaded);
        new FileInfo(downloaded).Length.Should().Be(export.Status.SizeBytes);
        (await OperatorHarness.Sha256Async(downloaded)).Should().Be(export.Status.Sha256);
        var check = await QemuImg.CheckAsync(downloaded, "vmdk");
        check.ExitCode.Should().Be(0, check.ToString());
        (await QemuImg.CompareAsync(_images.Raw, downloaded, "raw", "vmdk")).ExitCode.Should().Be(0);

        (await _operator.ListAsync(_exportBucket, "tenant/")).Should().Equal("tenant/disk.vmdk");
        Directory.EnumerateFileSystemEntries(_spool).Should().BeEmpty("the spool file is deleted after the PUT");
        var events = await _operator.KubectlAsync("get", "events", "-o", "json");
        events.EnsureSuccess().StandardOutput.Should().NotContain("X-Amz-Signature");
        (await _operator.Images.GetAsync("par-src", _operator.Namespace))!.Status.LifecycleState.Should().Be(ImageLifecycleState.Available);
    }

    [Fact]
    public async Task Export_to_a_presigned_PUT_url_of_a_missing_bucket_fails_as_DestinationNotFound()
    {
        await _operator.ImportAsync("par-nobucket", await _images.InFormatAsync("qcow2"), _sourceBucket);
        var missing = S3ServerFixture.NewBucketName("missing");
        var url = await _operator.S3.PresignedPutObjectAsync(new PresignedPutObjectArgs().WithBucket(missing).WithObject("disk.qcow2").WithExpiry(600));
        await _operator.PutSecretAsync("nobucket-url", new() { ["url"] = url });

        await _operator.ApplyAsync(Manifests.Export("exp-nobucket", "par-nobucket", ExportFormat.Qcow2, "url: {secretRef: {name: nobucket-url, key: url}}"));

        var export = await _operator.WaitForAsync(_operator.Exports, "exp-nobucket", e => e.Status.Phase is ExportPhase.Succeeded or ExportPhase.Failed);
        export.Status.Phase.Should().Be(ExportPhase.Failed);
        var failed = export.Status.Find(ConditionTypes.Failed)!;
        failed.Reason.Should().Be(ControllerReasons.DestinationNotFound);
        failed.Message.Should().Contain(missing).And.NotContain("X-Amz-Signature");
        Directory.EnumerateFileSystemEntries(_spool).Should().BeEmpty("the spool file is deleted after a failed PUT");
    }

    [Fact]
    public async Task Export_to_a_presigned_url_refuses_a_read_url_request_before_any_work()
    {
        await _operator.ImportAsync("par-ask", await _images.InFormatAsync("qcow2"), _sourceBucket);
        var url = await _operator.S3.PresignedPutObjectAsync(new PresignedPutObjectArgs().WithBucket(_exportBucket).WithObject("tenant/asked.qcow2").WithExpiry(600));
        await _operator.PutSecretAsync("ask-url", new() { ["url"] = url });

        await _operator.ApplyAsync(Manifests.Export("exp-ask", "par-ask", ExportFormat.Qcow2, "url: {secretRef: {name: ask-url, key: url}}", presigned: true));

        var export = await _operator.WaitForAsync(_operator.Exports, "exp-ask", e => e.Status.Phase is ExportPhase.Succeeded or ExportPhase.Failed);
        export.Status.Phase.Should().Be(ExportPhase.Failed);
        var failed = export.Status.Find(ConditionTypes.Failed)!;
        failed.Reason.Should().Be(ControllerReasons.InvalidLocation);
        failed.Message.Should().Contain("spec.preauthenticatedRequest");
        (await _operator.ListAsync(_exportBucket, "tenant/asked")).Should().BeEmpty();
    }

    [Fact]
    public async Task Import_from_a_presigned_manifest_url_restores_the_image_and_its_metadata()
    {
        await ImportDescribedSourceAsync("described");
        var manifestKey = await ExportWithManifestAsync("described", "share/described.vmdk");
        await _operator.PutSecretAsync("manifest-url", new() { ["url"] = await PresignGetAsync(manifestKey) });

        await _operator.ApplyAsync(Manifests.Import("imp-restored", "restored", "manifest: {secretRef: {name: manifest-url, key: url}}", withOperatingSystem: false));

        var image = await _operator.WaitForAsync(_operator.Images, "restored", i => i.Status.LifecycleState is ImageLifecycleState.Available or ImageLifecycleState.Failed);
        image.Status.LifecycleState.Should().Be(ImageLifecycleState.Available, KubernetesJson.Serialize(image.Status));
        image.Spec.OperatingSystem.Should().Be(GuestOperatingSystem.OracleLinux);
        image.Spec.OperatingSystemVersion.Should().Be("9.4");
        image.Spec.LaunchMode.Should().Be(LaunchMode.Emulated, "the manifest restores the exported image's launch mode");
        image.Spec.Architecture.Should().Be(CpuArchitecture.I386);
        image.Spec.ShapeCompatibilities.Should().ContainSingle(s => s.Shape == "vm.standard.e4.flex" && s.OcpuConstraints!.Min == 1 && s.OcpuConstraints.Max == 8);

        var stored = Path.Combine(_images.Directory, "restored.qcow2");
        await _operator.DownloadAsync(image.Status.StoredDisk!.Bucket, image.Status.StoredDisk.Object, stored);
        (await QemuImg.CheckAsync(stored, "qcow2")).ExitCode.Should().Be(0);
        (await QemuImg.CompareAsync(_images.Raw, stored, "raw", "qcow2")).ExitCode.Should().Be(0);
        var import = await _operator.WaitForAsync(_operator.Imports, "imp-restored", i => i.Status.Phase == ImportPhase.Succeeded);
        import.Status.DetectedFormat.Should().Be(SourceImageType.Vmdk);
        KubernetesJson.Serialize(import).Should().NotContain("X-Amz-Signature");
        import.Status.Find(ConditionTypes.Ready)!.Message.Should().Contain(image.Status.StoredDisk.Sha256);
    }

    [Theory]
    [InlineData("sha256", ConditionReasons.VerificationFailed, "manifest records")]
    [InlineData("sizeBytes", ConditionReasons.VerificationFailed, "manifest records")]
    [InlineData("format", ControllerReasons.InvalidManifest, "format")]
    public async Task Import_from_a_tampered_manifest_fails_clearly_and_leaves_nothing(string field, string reason, string message)
    {
        await ImportDescribedSourceAsync("tamper-src");
        var manifestKey = await ExportWithManifestAsync("tamper-src", "share/tamper.vmdk");
        var original = Path.Combine(_images.Directory, "original.manifest.json");
        await _operator.DownloadAsync(_exportBucket, manifestKey, original);
        var manifest = JsonNode.Parse(await File.ReadAllTextAsync(original))!;
        manifest[field] = field switch
        {
            "sha256" => new string('0', 64),
            "sizeBytes" => manifest["sizeBytes"]!.GetValue<long>() - 1,
            _ => "ISO",
        };
        var tamperedKey = $"tampered/{field}.manifest.json";
        var tampered = Path.Combine(_images.Directory, $"tampered-{field}.json");
        await File.WriteAllTextAsync(tampered, manifest.ToJsonString());
        await _operator.UploadAsync(_exportBucket, tamperedKey, tampered);
        await _operator.PutSecretAsync("tampered-url", new() { ["url"] = await PresignGetAsync(tamperedKey) });

        await _operator.ApplyAsync(Manifests.Import("imp-tampered", "tampered", "manifest: {secretRef: {name: tampered-url, key: url}}", withOperatingSystem: false));

        var import = await _operator.WaitForAsync(_operator.Imports, "imp-tampered", i => i.Status.Phase is ImportPhase.Failed or ImportPhase.Succeeded);
        import.Status.Phase.Should().Be(ImportPhase.Failed, KubernetesJson.Serialize(import.Status));
        var failed = import.Status.Find(ConditionTypes.Failed)!;
        failed.Reason.Should().Be(reason, failed.Message);
        failed.Message.Should().Contain(message);
        KubernetesJson.Serialize(import).Should().NotContain("X-Amz-Signature");
        var image = await _operator.WaitForAsync(_operator.Images, "tampered", i => i.Status.LifecycleState == ImageLifecycleState.Failed);
        image.Status.StoredDisk.Should().BeNull();
        var prefix = $"images/{_operator.Namespace}/tampered/";
        (await _operator.ListAsync(_operator.LibraryBucket, prefix)).Should().BeEmpty();
        (await _operator.IncompleteUploadsAsync(_operator.LibraryBucket, prefix)).Should().BeEmpty();
    }

    /// <summary>Imports the test disk with a description that differs from every default.</summary>
    private async Task ImportDescribedSourceAsync(string imageName)
    {
        await _operator.UploadAsync(_sourceBucket, $"sources/{imageName}", await _images.InFormatAsync("qcow2"));
        await _operator.ApplyAsync(Manifests.Import($"imp-{imageName}", imageName, $"objectStore: {{bucket: {_sourceBucket}, object: sources/{imageName}}}", withOperatingSystem: false, extra: """
              operatingSystem: Oracle Linux
              operatingSystemVersion: "9.4"
              launchMode: EMULATED
              architecture: i386
              shapeCompatibilities: [{shape: vm.standard.e4.flex, ocpuConstraints: {min: 1, max: 8}}]
            """));
        var image = await _operator.WaitForAsync(_operator.Images, imageName, i => i.Status.LifecycleState is ImageLifecycleState.Available or ImageLifecycleState.Failed);
        image.Status.LifecycleState.Should().Be(ImageLifecycleState.Available, KubernetesJson.Serialize(image.Status));
    }

    /// <returns>The manifest's object name.</returns>
    private async Task<string> ExportWithManifestAsync(string imageName, string key)
    {
        await _operator.ApplyAsync(Manifests.Export($"exp-{imageName}", imageName, ExportFormat.Vmdk, $"objectStore: {{bucket: {_exportBucket}, object: {key}}}"));
        var export = await _operator.WaitForAsync(_operator.Exports, $"exp-{imageName}", e => e.Status.Phase is ExportPhase.Succeeded or ExportPhase.Failed);
        export.Status.Phase.Should().Be(ExportPhase.Succeeded, KubernetesJson.Serialize(export.Status));
        return export.Status.ManifestObject!;
    }

    private Task<string> PresignGetAsync(string key) =>
        _operator.S3.PresignedGetObjectAsync(new PresignedGetObjectArgs().WithBucket(_exportBucket).WithObject(key).WithExpiry(600));
}

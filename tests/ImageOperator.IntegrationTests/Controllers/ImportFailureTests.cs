using FluentAssertions;
using ImageOperator.Api;
using ImageOperator.Api.V1Alpha1;
using ImageOperator.Controllers;
using ImageOperator.Testing;
using k8s;
using Xunit;

namespace ImageOperator.IntegrationTests.Controllers;

/// <summary>
/// Imports that must fail: each ends with the import Failed, the image Failed, the same reason on both, a Warning
/// event, and nothing left in the library (no object, no unfinished upload).
/// </summary>
[Collection(TestCollections.Stack)]
public sealed class ImportFailureTests(ControlPlaneFixture controlPlane, S3ServerFixture s3) : IAsyncLifetime
{
    private const string RotatingKeys = "rotating-keys";
    private readonly string _sourceBucket = S3ServerFixture.NewBucketName("sources");
    private OperatorHarness _operator = null!;
    private TestImages _images = null!;

    public async Task InitializeAsync()
    {
        _images = await TestImages.CreateAsync();
        // A fourth store where nothing listens: every request to it fails as an outage would.
        // A fifth store whose keys the tests rotate and delete.
        _operator = await OperatorHarness.StartAsync(controlPlane, s3, "failures",
            [.. OperatorHarness.ExtraStoreArguments(3, "unreachable", $"http://127.0.0.1:{FreePort.Next()}"),
             .. OperatorHarness.ExtraStoreArguments(4, "rotating", s3.Endpoint.AbsoluteUri.TrimEnd('/'), RotatingKeys)]);
        await _operator.EnsureBucketAsync(_sourceBucket);
    }

    public async Task DisposeAsync()
    {
        await _operator.DisposeAsync();
        _images.Dispose();
    }

    [Fact]
    public Task Missing_object_fails_with_SourceNotFound() =>
        ImportShouldFailAsync("missing", $"objectStore: {{bucket: {_sourceBucket}, object: no/such/object}}", ConditionReasons.SourceNotFound);

    [Fact]
    public Task Missing_bucket_fails_with_SourceNotFound() =>
        ImportShouldFailAsync("nobucket", "objectStore: {bucket: no-such-bucket-here, object: disk.qcow2}", ConditionReasons.SourceNotFound);

    [Fact]
    public async Task An_empty_object_fails_with_EmptySource()
    {
        var empty = Path.Combine(_images.Directory, "empty.bin");
        await File.WriteAllBytesAsync(empty, []);
        await _operator.UploadAsync(_sourceBucket, "empty/disk", empty);

        var (import, _) = await ImportShouldFailAsync("empty", $"objectStore: {{bucket: {_sourceBucket}, object: empty/disk}}", ControllerReasons.EmptySource);

        import.Status.Find(ConditionTypes.Failed)!.Message.Should().Contain("is empty (0 bytes)");
    }

    [Fact]
    public async Task An_outage_outlasting_the_retry_budget_fails_with_StorageError_and_the_last_error()
    {
        var (import, _) = await ImportShouldFailAsync("outage", $"objectStore: {{store: unreachable, bucket: {_sourceBucket}, object: disk.qcow2}}",
            ConditionReasons.StorageError, "  retryPolicy: {maxRetries: 2}");

        import.Status.Retries.Should().Be(2);
        import.Status.Find(ConditionTypes.Failed)!.Message.Should().Contain("gave up after 2 retries").And.Contain("last error:");
        var events = await _operator.KubectlAsync("get", "events", "--field-selector", "involvedObject.name=imp-outage,reason=Retrying", "-o", "name");
        events.EnsureSuccess().StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().NotBeEmpty("each retry is announced");
    }

    [Fact]
    public async Task Rotated_and_deleted_credentials_take_effect_with_the_next_transfer()
    {
        await _operator.UploadAsync(_sourceBucket, "rotating/disk.qcow2", await _images.InFormatAsync("qcow2"));
        var source = $"objectStore: {{store: rotating, bucket: {_sourceBucket}, object: rotating/disk.qcow2}}";
        await _operator.PutSecretAsync(RotatingKeys, new() { ["accessKey"] = s3.AccessKey, ["secretKey"] = s3.SecretKey });
        await _operator.ApplyAsync(Manifests.Import("imp-rot1", "rot1", source));
        (await _operator.WaitForAsync(_operator.Images, "rot1", i => i.Status.LifecycleState is ImageLifecycleState.Available or ImageLifecycleState.Failed))
            .Status.LifecycleState.Should().Be(ImageLifecycleState.Available);

        await _operator.PutSecretAsync(RotatingKeys, new() { ["accessKey"] = s3.AccessKey, ["secretKey"] = "revoked" });
        await ImportShouldFailAsync("rot2", source, ConditionReasons.AccessDenied);

        (await _operator.KubectlAsync("delete", "secret", RotatingKeys)).EnsureSuccess();
        var (deleted, _) = await ImportShouldFailAsync("rot3", source, ConditionReasons.AccessDenied);
        deleted.Status.Find(ConditionTypes.Failed)!.Message.Should().Contain($"The credentials Secret {_operator.Namespace}/{RotatingKeys} of object store 'rotating' does not exist");
    }

    [Fact]
    public async Task Wrong_credentials_fail_with_AccessDenied()
    {
        await _operator.UploadAsync(_sourceBucket, "denied/disk.qcow2", await _images.InFormatAsync("qcow2"));
        await ImportShouldFailAsync("denied", $"objectStore: {{store: {OperatorHarness.WrongKeysStore}, bucket: {_sourceBucket}, object: denied/disk.qcow2}}", ConditionReasons.AccessDenied);
    }

    [Fact]
    public async Task Tampered_presigned_url_fails_with_AccessDenied()
    {
        await _operator.UploadAsync(_sourceBucket, "tampered/disk.qcow2", await _images.InFormatAsync("qcow2"));
        var url = await _operator.S3.PresignedGetObjectAsync(new Minio.DataModel.Args.PresignedGetObjectArgs().WithBucket(_sourceBucket).WithObject("tampered/disk.qcow2").WithExpiry(600));
        var tampered = url[..^4] + (url.EndsWith("0000", StringComparison.Ordinal) ? "1111" : "0000");
        await _operator.PutSecretAsync("tampered-url", new() { ["url"] = tampered });

        var (import, _) = await ImportShouldFailAsync("tampered", "url: {secretRef: {name: tampered-url, key: url}}", ConditionReasons.AccessDenied);

        KubernetesJson.Serialize(import).Should().NotContain("X-Amz-Signature", "a pre-signed URL is a secret");
    }

    [Fact]
    public async Task Qcow2_whose_table_points_outside_the_file_fails_with_CorruptImage()
    {
        var corrupt = Path.Combine(_images.Directory, "corrupt.qcow2");
        File.Copy(await _images.InFormatAsync("qcow2"), corrupt, overwrite: true);
        await using (var file = File.OpenWrite(corrupt))
        {
            // l1_table_offset (header bytes 40-47, big-endian): a cluster-aligned offset far beyond the end of the file.
            file.Position = 40;
            await file.WriteAsync(new byte[] { 0, 0, 0x7f, 0xff, 0, 0, 0, 0 });
        }

        await _operator.UploadAsync(_sourceBucket, "corrupt/disk.qcow2", corrupt);

        await ImportShouldFailAsync("corrupt", $"objectStore: {{bucket: {_sourceBucket}, object: corrupt/disk.qcow2}}", ConditionReasons.CorruptImage);
    }

    [Fact]
    public async Task Random_bytes_declared_as_vmdk_fail_with_FormatMismatch()
    {
        var garbage = Path.Combine(_images.Directory, "garbage.bin");
        var bytes = new byte[1 << 20];
        new Random(42).NextBytes(bytes);
        await File.WriteAllBytesAsync(garbage, bytes);
        await _operator.UploadAsync(_sourceBucket, "garbage/disk", garbage);

        await ImportShouldFailAsync("garbage", $"objectStore: {{bucket: {_sourceBucket}, object: garbage/disk}}", ConditionReasons.FormatMismatch, "  sourceImageType: VMDK");
    }

    [Fact]
    public async Task Qcow2_with_a_backing_file_fails_with_UnsafeImage()
    {
        var overlay = Path.Combine(_images.Directory, "overlay.qcow2");
        await QemuImg.RunAsync("create", "-f", "qcow2", "-b", await _images.InFormatAsync("qcow2"), "-F", "qcow2", overlay);
        await _operator.UploadAsync(_sourceBucket, "backing/overlay.qcow2", overlay);

        var (import, _) = await ImportShouldFailAsync("backing", $"objectStore: {{bucket: {_sourceBucket}, object: backing/overlay.qcow2}}", ConditionReasons.UnsafeImage);

        import.Status.Find(ConditionTypes.Failed)!.Message.Should().Contain("backing");
    }

    [Fact]
    public async Task Declared_format_contradicted_by_the_data_fails_with_FormatMismatch()
    {
        await _operator.UploadAsync(_sourceBucket, "mismatch/disk", await _images.InFormatAsync("qcow2"));

        var (import, _) = await ImportShouldFailAsync("mismatch", $"objectStore: {{bucket: {_sourceBucket}, object: mismatch/disk}}", ConditionReasons.FormatMismatch, "  sourceImageType: VMDK");

        import.Status.Find(ConditionTypes.Failed)!.Message.Should().Contain("VMDK").And.Contain("QCOW2");
    }

    [Fact]
    public Task Native_launch_mode_for_a_foreign_image_fails_with_LaunchModeNotAllowed() =>
        UploadThenFailAsync("native", "vdi", ControllerReasons.LaunchModeNotAllowed, "  launchMode: NATIVE");

    private async Task UploadThenFailAsync(string name, string format, string reason, string extra)
    {
        await _operator.UploadAsync(_sourceBucket, $"{name}/disk", await _images.InFormatAsync(format));
        await ImportShouldFailAsync(name, $"objectStore: {{bucket: {_sourceBucket}, object: {name}/disk}}", reason, extra);
    }

    private async Task<(ImageImport Import, CustomImage Image)> ImportShouldFailAsync(string name, string source, string reason, string extra = "")
    {
        await _operator.ApplyAsync(Manifests.Import($"imp-{name}", $"img-{name}", source, extra: extra));

        var import = await _operator.WaitForAsync(_operator.Imports, $"imp-{name}", i => i.Status.Phase is ImportPhase.Failed or ImportPhase.Succeeded);
        import.Status.Phase.Should().Be(ImportPhase.Failed, KubernetesJson.Serialize(import.Status));
        var failed = import.Status.Find(ConditionTypes.Failed)!;
        failed.Reason.Should().Be(reason, failed.Message);
        failed.Message.Should().NotBeNullOrWhiteSpace();
        import.Status.Find(ConditionTypes.Ready)!.Status.Should().Be(ConditionStatus.False);

        var image = await _operator.WaitForAsync(_operator.Images, $"img-{name}", i => i.Status.LifecycleState == ImageLifecycleState.Failed);
        image.Status.Find(ConditionTypes.Failed)!.Reason.Should().Be(reason);
        image.Status.StoredDisk.Should().BeNull();

        var prefix = $"images/{_operator.Namespace}/img-{name}/";
        (await _operator.ListAsync(_operator.LibraryBucket, prefix)).Should().BeEmpty();
        (await _operator.IncompleteUploadsAsync(_operator.LibraryBucket, prefix)).Should().BeEmpty();
        var events = await _operator.KubectlAsync("get", "events", "--field-selector", $"involvedObject.name=imp-{name},type=Warning", "-o", "jsonpath={.items[*].reason}");
        events.EnsureSuccess().StandardOutput.Should().Contain(reason);
        return (import, image);
    }
}

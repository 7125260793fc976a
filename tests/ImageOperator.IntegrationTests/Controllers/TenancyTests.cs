using FluentAssertions;
using ImageOperator.Api;
using ImageOperator.Api.V1Alpha1;
using ImageOperator.Controllers;
using ImageOperator.Tenancy;
using ImageOperator.Testing;
using k8s;
using k8s.Models;
using Minio.DataModel.Args;
using Xunit;

namespace ImageOperator.IntegrationTests.Controllers;

/// <summary>
/// Namespaces are tenancies, enforced by the controllers themselves (admission is off here, so these are the last
/// line of defence): two tenants share one operator, one bucket and one set of operator keys, and the attacker
/// tries each of the four holes of issue 12 against the victim. Every attack ends Failed with a reason naming the
/// rule, writes nothing, and leaves the victim's disk byte for byte as it was; the legitimate ways to share and to
/// bring one's own authority keep working.
/// </summary>
[Collection(TestCollections.Stack)]
public sealed class TenancyTests(ControlPlaneFixture controlPlane, S3ServerFixture s3) : IAsyncLifetime
{
    private OperatorHarness _operator = null!;
    private TestImages _images = null!;
    private string _victim = null!;
    private string _attacker = null!;
    private StoredDisk _victimDisk = null!;
    private string _victimSha256 = null!;

    private string Bucket => _operator.TenantBucket!;

    public async Task InitializeAsync()
    {
        _images = await TestImages.CreateAsync();
        _operator = await OperatorHarness.StartTenantsAsync(controlPlane, s3, "tenancy", "victim", "attacker");
        (_victim, _attacker) = (_operator.Tenants[0], _operator.Tenants[1]);
        var reference = await _images.InFormatAsync("qcow2");
        _victimDisk = (await _operator.ImportAsync("private", reference, Bucket, _victim)).Status.StoredDisk!;
        await _operator.ImportAsync("own", await _images.InFormatAsync("vdi"), Bucket, _attacker);
        _victimSha256 = await LibrarySha256Async(_victimDisk.Object);
    }

    public async Task DisposeAsync()
    {
        await _operator.DisposeAsync();
        _images.Dispose();
    }

    [Theory]
    [InlineData("dot-dot out of the tenant bucket", ControllerReasons.InvalidLocation)]
    [InlineData("percent-encoded dot-dot", ControllerReasons.InvalidLocation)]
    [InlineData("the library bucket itself", TenancyReasons.ReservedBucket)]
    [InlineData("the library bucket through a second store name", TenancyReasons.ReservedBucket)]
    [InlineData("the library bucket by URL", TenancyReasons.ReservedBucket)]
    [InlineData("the library bucket by a pre-signed URL", TenancyReasons.ReservedBucket)]
    public async Task Attack_1_reading_another_namespace_s_stored_disk_is_refused(string how, string reason)
    {
        var library = _operator.LibraryBucket;
        var victimKey = _victimDisk.Object;
        var source = how switch
        {
            "dot-dot out of the tenant bucket" => $"objectStore: {{bucket: {Bucket}, object: \"../{library}/{victimKey}\"}}",
            "percent-encoded dot-dot" => $"objectStore: {{bucket: {Bucket}, object: \"{_attacker}/%2e%2e/%2e%2e/{library}/{victimKey}\"}}",
            "the library bucket itself" => $"objectStore: {{bucket: {library}, object: \"{victimKey}\"}}",
            "the library bucket through a second store name" => $"objectStore: {{store: {OperatorHarness.SecondRegion}, bucket: {library}, object: \"{victimKey}\"}}",
            "the library bucket by URL" => $"url: {{url: \"{new Uri(_operator.S3Endpoint, $"{library}/{victimKey}")}\"}}",
            _ => await PresignedSourceAsync(library, victimKey),
        };

        await ImportShouldFailAsync($"steal-{reason.ToLowerInvariant()}-{how.Length}", source, reason);

        await VictimDiskShouldBeIntactAsync();
    }

    public static TheoryData<string, string> KeyVariants => new()
    {
        { "dotdot", "{0}/../{1}/sources/private" },
        { "dot", "{0}/./sources/private" },
        { "encoded-dotdot", "{0}/%2e%2e/{1}/sources/private" },
        { "encoded-slash", "{0}/..%2f{1}/sources/private" },
        { "empty-segment", "{0}//sources/private" },
        { "leading-slash", "/{0}/sources/private" },
        { "backslash", "{0}\\..\\{1}\\sources\\private" },
    };

    [Theory]
    [MemberData(nameof(KeyVariants))]
    public async Task Every_path_trick_in_a_source_key_is_refused(string name, string template)
    {
        var key = string.Format(template, _attacker, _victim);

        var failed = await ImportShouldFailAsync($"key-{name}", $"objectStore: {{bucket: {Bucket}, object: '{key}'}}", ControllerReasons.InvalidLocation);

        failed.Message.Should().Contain("names are data, never paths");
    }

    [Theory]
    [MemberData(nameof(KeyVariants))]
    public async Task Every_path_trick_in_a_destination_key_is_refused(string name, string template)
    {
        var key = string.Format(template, _attacker, _victim).Replace("sources/private", "planted.qcow2", StringComparison.Ordinal);

        await ExportShouldFailAsync($"key-{name}", $"objectStore: {{bucket: {Bucket}, object: '{key}'}}", ControllerReasons.InvalidLocation);

        (await _operator.ListAsync(Bucket, $"{_victim}/planted")).Should().BeEmpty();
        (await _operator.IncompleteUploadsAsync(Bucket)).Should().BeEmpty();
    }

    [Theory]
    [InlineData("dotdot", "../{0}/{1}")]
    [InlineData("encoded", "%2e%2e/%2e%2e/{0}/{1}")]
    [InlineData("leading-slash", "/{1}")]
    public async Task A_manifest_naming_a_disk_outside_its_place_is_refused(string name, string diskTemplate)
    {
        var manifest = ExportManifest.For(
            new CustomImage { Metadata = new() { Name = "lure" }, Spec = new CustomImageSpec { OperatingSystem = GuestOperatingSystem.OracleLinux, OperatingSystemVersion = "8.9" } },
            ExportFormat.Qcow2, Bucket, string.Format(diskTemplate, _operator.LibraryBucket, _victimDisk.Object), 1, 1, new string('0', 64), DateTime.UtcNow);
        var key = $"{_attacker}/lures/{name}.manifest.json";
        var file = Path.Combine(_images.Directory, $"{name}.manifest.json");
        await File.WriteAllBytesAsync(file, manifest.ToUtf8Json());
        await _operator.UploadAsync(Bucket, key, file);

        var failed = await ImportShouldFailAsync($"lure-{name}", $"manifest: {{url: \"{new Uri(_operator.S3Endpoint, $"{Bucket}/{key}")}\"}}", ControllerReasons.InvalidManifest, withOperatingSystem: false);

        failed.Message.Should().Contain("diskObject");
        await VictimDiskShouldBeIntactAsync();
    }

    [Theory]
    [InlineData("/../")]
    [InlineData("/%2e%2e/")]
    [InlineData("//")]
    public async Task A_pre_signed_url_with_a_path_trick_is_refused_before_it_is_sent(string trick)
    {
        var url = await _operator.S3.PresignedGetObjectAsync(new PresignedGetObjectArgs().WithBucket(Bucket).WithObject($"{_attacker}/x").WithExpiry(600));
        var tricked = url.Replace($"/{_attacker}/x", $"/{_attacker}{trick}{_victim}/sources/private", StringComparison.Ordinal);
        var secret = $"trick-{trick.Length}-{trick.Contains('%')}".ToLowerInvariant();
        await _operator.PutSecretAsync(secret, new() { ["url"] = tricked }, _attacker);

        await ImportShouldFailAsync(secret, $"url: {{secretRef: {{name: {secret}, key: url}}}}", ControllerReasons.InvalidLocation);
    }

    [Fact]
    public async Task Attack_2_writing_outside_the_destination_bucket_is_refused()
    {
        await ExportShouldFailAsync("escape", $"objectStore: {{bucket: {Bucket}, object: \"{_attacker}/../../{_operator.LibraryBucket}/x.qcow2\"}}", ControllerReasons.InvalidLocation);

        (await _operator.ListAsync(_operator.LibraryBucket, "x.qcow2")).Should().BeEmpty();
        (await _operator.ListAsync(Bucket, _attacker + "/..")).Should().BeEmpty();
        (await _operator.IncompleteUploadsAsync(_operator.LibraryBucket)).Should().BeEmpty();
    }

    [Fact]
    public async Task Attack_3_overwriting_another_namespace_s_stored_disk_is_refused()
    {
        await ExportShouldFailAsync("overwrite", $"objectStore: {{bucket: {_operator.LibraryBucket}, object: \"{_victimDisk.Object}\"}}", TenancyReasons.ReservedBucket);

        await VictimDiskShouldBeIntactAsync();
        var victim = await _operator.Images.GetAsync("private", _victim);
        victim!.Status.LifecycleState.Should().Be(ImageLifecycleState.Available);
    }

    [Theory]
    [InlineData("import", "objectStore: {{bucket: {0}, object: {1}/sources/private}}")]
    [InlineData("import-region2", "objectStore: {{store: region2, bucket: {0}, object: {1}/sources/private}}")]
    public async Task Attack_4_the_operator_s_keys_do_not_read_another_namespace_s_objects(string name, string template)
    {
        var failed = await ImportShouldFailAsync(name, string.Format(template, Bucket, _victim), TenancyReasons.NotGranted);

        failed.Message.Should().Contain($"namespace '{_attacker}' may not read object '{_victim}/sources/private'");
    }

    [Fact]
    public async Task Attack_4_the_operator_s_keys_do_not_write_another_namespace_s_objects()
    {
        var key = $"{_victim}/planted.qcow2";

        var failed = await ExportShouldFailAsync("plant", $"objectStore: {{bucket: {Bucket}, object: {key}}}", TenancyReasons.NotGranted);

        failed.Message.Should().Contain($"may not write object '{key}'");
        (await _operator.ListAsync(Bucket, key)).Should().BeEmpty();
    }

    [Fact]
    public async Task A_shared_image_is_copied_and_an_unshared_one_is_not()
    {
        var copy = $"customImage: {{namespace: {_victim}, name: private}}";
        await ImportShouldFailAsync("copy-unshared", copy, ConditionReasons.AccessDenied, withOperatingSystem: false);

        await SharePrivateWithAttackerAsync();
        await _operator.ApplyAsync(Manifests.Import("imp-copy2", "copy2", copy, withOperatingSystem: false), _attacker);
        var copied = await _operator.WaitForAsync(_operator.Images, "copy2", i => i.Status.LifecycleState is ImageLifecycleState.Available or ImageLifecycleState.Failed, ns: _attacker);

        copied.Status.LifecycleState.Should().Be(ImageLifecycleState.Available, KubernetesJson.Serialize(copied.Status));
        copied.Status.StoredDisk!.Object.Should().StartWith($"images/{_attacker}/copy2/");
        (await LibrarySha256Async(copied.Status.StoredDisk.Object)).Should().Be(_victimSha256);
    }

    [Fact]
    public async Task Own_keys_reach_a_bucket_no_grant_covers_and_wrong_keys_do_not()
    {
        var ownBucket = S3ServerFixture.NewBucketName("own");
        await _operator.UploadAsync(ownBucket, "disk.qcow2", await _images.InFormatAsync("qcow2"));
        await _operator.PutSecretAsync("my-keys", new() { ["accessKey"] = s3.AccessKey, ["secretKey"] = s3.SecretKey }, _attacker);
        await _operator.PutSecretAsync("bad-keys", new() { ["accessKey"] = s3.AccessKey, ["secretKey"] = "wrong" }, _attacker);

        await ImportShouldFailAsync("no-keys", $"objectStore: {{bucket: {ownBucket}, object: disk.qcow2}}", TenancyReasons.NotGranted);
        await ImportShouldFailAsync("bad-keys", $"objectStore: {{bucket: {ownBucket}, object: disk.qcow2, credentialsSecretRef: {{name: bad-keys}}}}", ConditionReasons.AccessDenied);
        await _operator.ApplyAsync(Manifests.Import("imp-mine", "mine", $"objectStore: {{bucket: {ownBucket}, object: disk.qcow2, credentialsSecretRef: {{name: my-keys}}}}"), _attacker);

        var mine = await _operator.WaitForAsync(_operator.Images, "mine", i => i.Status.LifecycleState is ImageLifecycleState.Available or ImageLifecycleState.Failed, ns: _attacker);
        mine.Status.LifecycleState.Should().Be(ImageLifecycleState.Available, KubernetesJson.Serialize(mine.Status));

        // The same keys export to that bucket, where the operator's keys may not write.
        await _operator.ApplyAsync(Manifests.Export("exp-mine", "mine", ExportFormat.Vmdk, $"objectStore: {{bucket: {ownBucket}, object: out/mine.vmdk, credentialsSecretRef: {{name: my-keys}}}}"), _attacker);
        var export = await _operator.WaitForAsync(_operator.Exports, "exp-mine", e => e.Status.Phase is ExportPhase.Succeeded or ExportPhase.Failed, ns: _attacker);
        export.Status.Phase.Should().Be(ExportPhase.Succeeded, KubernetesJson.Serialize(export.Status));
        (await _operator.ListAsync(ownBucket, "out/")).Should().BeEquivalentTo("out/mine.vmdk", "out/mine.vmdk" + ExportManifest.Suffix);
        KubernetesJson.Serialize(export).Should().NotContain(s3.SecretKey);
    }

    [Fact]
    public async Task A_pre_signed_url_carries_its_own_authority()
    {
        var otherBucket = S3ServerFixture.NewBucketName("signed");
        await _operator.UploadAsync(otherBucket, "disk.qcow2", await _images.InFormatAsync("qcow2"));

        await _operator.ApplyAsync(Manifests.Import("imp-signed", "signed", await PresignedSourceAsync(otherBucket, "disk.qcow2")), _attacker);

        var image = await _operator.WaitForAsync(_operator.Images, "signed", i => i.Status.LifecycleState is ImageLifecycleState.Available or ImageLifecycleState.Failed, ns: _attacker);
        image.Status.LifecycleState.Should().Be(ImageLifecycleState.Available, KubernetesJson.Serialize(image.Status));
    }

    [Fact]
    public async Task A_granted_export_under_the_namespace_s_own_prefix_succeeds()
    {
        var key = $"{_attacker}/exports/own.qcow2";

        await _operator.ApplyAsync(Manifests.Export("exp-granted", "own", ExportFormat.Qcow2, $"objectStore: {{bucket: {Bucket}, object: {key}}}"), _attacker);

        var export = await _operator.WaitForAsync(_operator.Exports, "exp-granted", e => e.Status.Phase is ExportPhase.Succeeded or ExportPhase.Failed, ns: _attacker);
        export.Status.Phase.Should().Be(ExportPhase.Succeeded, KubernetesJson.Serialize(export.Status));
        (await _operator.ListAsync(Bucket, $"{_attacker}/exports/")).Should().Contain(key);

        // The namespace imports its own export back through the manifest, read with the operator's keys as granted.
        var manifestUrl = new Uri(_operator.S3Endpoint, $"{Bucket}/{key}{ExportManifest.Suffix}");
        await _operator.ApplyAsync(Manifests.Import("imp-back", "back", $"manifest: {{url: \"{manifestUrl}\"}}", withOperatingSystem: false), _attacker);
        var back = await _operator.WaitForAsync(_operator.Images, "back", i => i.Status.LifecycleState is ImageLifecycleState.Available or ImageLifecycleState.Failed, ns: _attacker);
        back.Status.LifecycleState.Should().Be(ImageLifecycleState.Available, KubernetesJson.Serialize(back.Status));
    }

    [Fact]
    public async Task A_stored_disk_replaced_behind_the_operator_s_back_is_never_exported()
    {
        var image = await _operator.ImportAsync("tampered", await _images.InFormatAsync("qcow2"), Bucket, _victim);
        // Someone with the library's keys swaps the disk for another valid QCOW2 (same format, other bytes).
        var swapped = Path.Combine(_images.Directory, "impostor.qcow2");
        await QemuImg.RunAsync("create", "-f", "qcow2", swapped, "64M");
        await QemuImg.IoAsync(swapped, "qcow2", "write -P 0x66 0 2M");
        await _operator.UploadAsync(_operator.LibraryBucket, image.Status.StoredDisk!.Object, swapped);
        var key = $"{_victim}/exports/tampered.vmdk";

        await _operator.ApplyAsync(Manifests.Export("exp-tampered", "tampered", ExportFormat.Vmdk, $"objectStore: {{bucket: {Bucket}, object: {key}}}"), _victim);

        var export = await _operator.WaitForAsync(_operator.Exports, "exp-tampered", e => e.Status.Phase is ExportPhase.Succeeded or ExportPhase.Failed, ns: _victim);
        export.Status.Phase.Should().Be(ExportPhase.Failed, KubernetesJson.Serialize(export.Status));
        export.Status.Find(ConditionTypes.Failed)!.Reason.Should().Be(ConditionReasons.StoredDiskChanged);
        var failed = await _operator.WaitForAsync(_operator.Images, "tampered", i => i.Status.LifecycleState == ImageLifecycleState.Failed, ns: _victim);
        failed.Status.Find(ConditionTypes.StoredDiskIntact)!.Status.Should().Be(ConditionStatus.False);
        failed.Status.Find(ConditionTypes.Failed)!.Reason.Should().Be(ConditionReasons.StoredDiskChanged);
        (await _operator.ListAsync(Bucket, key)).Should().BeEmpty("nothing of a replaced disk is shipped");
        (await _operator.IncompleteUploadsAsync(Bucket, key)).Should().BeEmpty();
    }

    private async Task SharePrivateWithAttackerAsync()
    {
        var image = (await _operator.Images.GetAsync("private", _victim))!;
        image.Spec.Sharing = new ImageSharing { Namespaces = [_attacker] };
        await _operator.Kubernetes.CustomObjects.ReplaceNamespacedCustomObjectAsync(
            image, "imageoperator.io", "v1alpha1", _victim, "customimages", "private");
    }

    private async Task<string> PresignedSourceAsync(string bucket, string key)
    {
        var url = await _operator.S3.PresignedGetObjectAsync(new PresignedGetObjectArgs().WithBucket(bucket).WithObject(key).WithExpiry(600));
        var secret = $"url-{Guid.NewGuid():N}"[..20];
        await _operator.PutSecretAsync(secret, new() { ["url"] = url }, _attacker);
        return $"url: {{secretRef: {{name: {secret}, key: url}}}}";
    }

    private async Task<V1Condition> ImportShouldFailAsync(string name, string source, string reason, bool withOperatingSystem = true)
    {
        await _operator.ApplyAsync(Manifests.Import($"imp-{name}", $"img-{name}", source, withOperatingSystem), _attacker);

        var import = await _operator.WaitForAsync(_operator.Imports, $"imp-{name}", i => i.Status.Phase is ImportPhase.Failed or ImportPhase.Succeeded, ns: _attacker);
        import.Status.Phase.Should().Be(ImportPhase.Failed, KubernetesJson.Serialize(import.Status));
        var failed = import.Status.Find(ConditionTypes.Failed)!;
        failed.Reason.Should().Be(reason, failed.Message);
        KubernetesJson.Serialize(import.Status).Should().NotContain("X-Amz-Signature").And.NotContain(s3.SecretKey);
        var image = await _operator.Images.GetAsync($"img-{name}", _attacker);
        if (reason is ControllerReasons.InvalidLocation or TenancyReasons.ReservedBucket or TenancyReasons.NotGranted)
        {
            image.Should().BeNull("a refused source fails the import before a CustomImage exists");
        }

        (image?.Status.StoredDisk).Should().BeNull("no disk was taken");
        (await _operator.ListAsync(_operator.LibraryBucket, $"images/{_attacker}/img-{name}/")).Should().BeEmpty();
        return failed;
    }

    private async Task<V1Condition> ExportShouldFailAsync(string name, string destination, string reason)
    {
        await _operator.ApplyAsync(Manifests.Export($"exp-{name}", "own", ExportFormat.Qcow2, destination), _attacker);

        var export = await _operator.WaitForAsync(_operator.Exports, $"exp-{name}", e => e.Status.Phase is ExportPhase.Failed or ExportPhase.Succeeded, ns: _attacker);
        export.Status.Phase.Should().Be(ExportPhase.Failed, KubernetesJson.Serialize(export.Status));
        var failed = export.Status.Find(ConditionTypes.Failed)!;
        failed.Reason.Should().Be(reason, failed.Message);
        return failed;
    }

    private async Task VictimDiskShouldBeIntactAsync()
    {
        (await LibrarySha256Async(_victimDisk.Object)).Should().Be(_victimSha256);
        var stat = await _operator.S3.StatObjectAsync(new StatObjectArgs().WithBucket(_operator.LibraryBucket).WithObject(_victimDisk.Object));
        stat.ETag.Trim('"').Should().Be(_victimDisk.ETag!.Trim('"'));
    }

    private async Task<string> LibrarySha256Async(string key)
    {
        var path = Path.Combine(_images.Directory, $"library-{Guid.NewGuid():N}.qcow2");
        await _operator.DownloadAsync(_operator.LibraryBucket, key, path);
        try
        {
            return await OperatorHarness.Sha256Async(path);
        }
        finally
        {
            File.Delete(path);
        }
    }
}

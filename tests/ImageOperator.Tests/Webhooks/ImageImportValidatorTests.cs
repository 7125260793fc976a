using FluentAssertions;
using ImageOperator.Api.V1Alpha1;
using ImageOperator.Configuration;
using ImageOperator.Webhooks;
using Xunit;

namespace ImageOperator.Tests.Webhooks;

public sealed class ImageImportValidatorTests
{
    private readonly InMemoryAdmissionLookup lookup = InMemoryAdmissionLookup.WithCatalogue();

    private ImageImportValidator Validator => new(lookup, TestPolicies.PerNamespacePrefixes());

    [Fact]
    public async Task A_valid_import_is_admitted_with_the_unofficial_image_warning()
    {
        var result = await Validator.CreateAsync(Samples.UrlImport(), Samples.Create, CancellationToken.None);

        result.Allowed.Should().BeTrue(result.Message);
        result.Warnings.Should().Equal("spec.source: " + OperatingSystemRules.UnofficialImageWarning);
    }

    [Fact]
    public async Task A_windows_import_warns_about_RealTimeIsUniversal_and_sysprep()
    {
        var import = Samples.UrlImport();
        import.Spec.OperatingSystem = GuestOperatingSystem.Windows;
        import.Spec.OperatingSystemVersion = "Server 2022 Standard";
        import.Spec.LicenseAttestation = new LicenseAttestation { WindowsLicenseCompliant = true };
        import.Spec.ShapeCompatibilities = [ShapeCompatibilityRulesTests.Entry("vm.standard2.4")];

        var result = await Validator.CreateAsync(import, Samples.Create, CancellationToken.None);

        result.Allowed.Should().BeTrue(result.Message);
        result.Warnings.Should().Contain(w => w.Contains("RealTimeIsUniversal", StringComparison.Ordinal))
            .And.Contain(w => w.Contains("sysprep", StringComparison.Ordinal));
    }

    public static TheoryData<string, Action<ImageImport>, string> Denied => new()
    {
        {
            "no source", i => i.Spec.Source = new ImportSource(),
            "spec.source: set exactly one of objectStore, url, customImage and manifest (none is set)"
        },
        {
            "two sources", i => i.Spec.Source.ObjectStore = new ObjectStoreLocation { Bucket = "images", Object = "a.qcow2" },
            "spec.source: set exactly one of objectStore, url, customImage and manifest (objectStore and url are set)"
        },
        {
            "url and secretRef", i => i.Spec.Source.Url!.SecretRef = new SecretKeyReference { Name = "par", Key = "url" },
            "spec.source.url: set exactly one of url and secretRef"
        },
        {
            "not a URL", i => i.Spec.Source.Url!.Url = "objectstorage/images/ol8.qcow2",
            "spec.source.url.url: the URL is not an absolute http(s) URL"
        },
        {
            "bucket-level URL", i => i.Spec.Source.Url!.Url = "https://os.example.com/n/tenancy/b/images/o/",
            "spec.source.url.url: names a bucket but no object; an import reads one object"
        },
        {
            "pre-authenticated URL in plain sight", i => i.Spec.Source.Url!.Url = "https://os.example.com/p/tok3n/n/tenancy/b/images/o/ol8.qcow2",
            "spec.source.url.url: is a pre-authenticated (pre-signed) URL, which grants access and is shown once: store it in a Secret and refer to it with secretRef"
        },
        {
            "pre-signed URL in plain sight", i => i.Spec.Source.Url!.Url = "https://minio.example.com/images/ol8.qcow2?X-Amz-Signature=deadbeef",
            "spec.source.url.url: is a pre-authenticated (pre-signed) URL"
        },
        {
            "missing Secret", i => i.Spec.Source.Url = new UrlLocation { SecretRef = new SecretKeyReference { Name = "missing", Key = "url" } },
            "spec.source.url.secretRef.name: Secret 'missing' does not exist in namespace 'team-a'"
        },
        {
            "missing key", i => i.Spec.Source.Url = new UrlLocation { SecretRef = new SecretKeyReference { Name = "par", Key = "other" } },
            "spec.source.url.secretRef.key: Secret 'par' has no (or an empty) key 'other'"
        },
        {
            "garbage in the Secret", i => i.Spec.Source = new ImportSource { Manifest = new UrlLocation { SecretRef = new SecretKeyReference { Name = "par", Key = "garbage" } } },
            "spec.source.manifest.secretRef: the URL held in the Secret is not an absolute http(s) URL"
        },
        {
            "copy of a private image", i => i.Spec.Source = new ImportSource { CustomImage = new ObjectReference { Namespace = "team-b", Name = "private" } },
            "spec.source.customImage: CustomImage 'team-b/private' does not exist or is not shared with namespace 'team-a' (its owner must list 'team-a' in spec.sharing.namespaces)"
        },
        {
            "copy of a missing image", i => i.Spec.Source = new ImportSource { CustomImage = new ObjectReference { Namespace = "team-b", Name = "nothing" } },
            "spec.source.customImage: CustomImage 'team-b/nothing' does not exist or is not shared with namespace 'team-a'"
        },
        {
            "dot-dot segment in the object key", i => i.Spec.Source = new ImportSource { ObjectStore = new ObjectStoreLocation { Bucket = "images", Object = "../image-library/images/team-b/web/1.qcow2" } },
            "spec.source.objectStore.object: the object name has a '..' segment"
        },
        {
            "percent-encoded dot-dot in the object key", i => i.Spec.Source = new ImportSource { ObjectStore = new ObjectStoreLocation { Bucket = "images", Object = "team-a/%2e%2e/x" } },
            "spec.source.objectStore.object: the object name contains the percent-encoded character '%2e'"
        },
        {
            "the image library", i => i.Spec.Source = new ImportSource { ObjectStore = new ObjectStoreLocation { Bucket = "image-library", Object = "images/team-b/web/1.qcow2" } },
            "spec.source.objectStore: bucket 'image-library' of store 'default' is the operator's image library: no import may read it"
        },
        {
            "the image library with the namespace's own keys", i => i.Spec.Source = new ImportSource { ObjectStore = new ObjectStoreLocation { Bucket = "image-library", Object = "images/team-b/web/1.qcow2", CredentialsSecretRef = new LocalSecretReference { Name = "keys" } } },
            "spec.source.objectStore: bucket 'image-library' of store 'default' is the operator's image library: no import may read it"
        },
        {
            "the image library by URL", i => i.Spec.Source.Url!.Url = "https://minio.example.com/image-library/images/team-b/web/1.qcow2",
            "spec.source.url.url: bucket 'image-library' of store 'default' is the operator's image library: no import may read it"
        },
        {
            "the image library by a pre-signed URL", i => i.Spec.Source.Url = new UrlLocation { SecretRef = new SecretKeyReference { Name = "par", Key = "library" } },
            "spec.source.url.secretRef: bucket 'image-library' of store 'default' is the operator's image library"
        },
        {
            "a bucket reserved by configuration", i => i.Spec.Source = new ImportSource { ObjectStore = new ObjectStoreLocation { Bucket = "audit-logs", Object = "x" } },
            "spec.source.objectStore: bucket 'audit-logs' of store 'default' is reserved by the operator's configuration: no import may read it"
        },
        {
            "another namespace's prefix", i => i.Spec.Source = new ImportSource { ObjectStore = new ObjectStoreLocation { Bucket = "images", Object = "team-b/ol8.qcow2" } },
            "spec.source.objectStore: namespace 'team-a' may not read object 'team-b/ol8.qcow2' in bucket 'images' of store 'default' with the operator's keys: its grants to read there cover images/team-a/*, exports/team-a/*, b1b/team-a/*, public/*"
        },
        {
            "another namespace's prefix by URL", i => i.Spec.Source.Url!.Url = "https://minio.example.com/images/team-b/ol8.qcow2",
            "spec.source.url.url: namespace 'team-a' may not read object 'team-b/ol8.qcow2' in bucket 'images'"
        },
        {
            "a bucket no grant covers", i => i.Spec.Source = new ImportSource { ObjectStore = new ObjectStoreLocation { Bucket = "finance", Object = "team-a/x" } },
            "spec.source.objectStore: namespace 'team-a' may not read object 'team-a/x' in bucket 'finance'"
        },
        {
            "keys Secret without a secret key", i => i.Spec.Source = new ImportSource { ObjectStore = new ObjectStoreLocation { Bucket = "other", Object = "x", CredentialsSecretRef = new LocalSecretReference { Name = "half-keys" } } },
            "spec.source.objectStore.credentialsSecretRef.name: Secret 'half-keys' has no (or an empty) key 'secretKey'"
        },
        {
            "image name taken", i => i.Spec.ImageName = "existing",
            "spec.imageName: CustomImage 'existing' already exists in namespace 'team-a'; choose another name"
        },
        {
            "no operating system for a foreign disk", i => i.Spec.OperatingSystem = null,
            "spec.operatingSystem: required: the source carries no operating system, so name it"
        },
        {
            "NATIVE on a VMDK", i => (i.Spec.SourceImageType, i.Spec.LaunchMode) = (SourceImageType.Vmdk, LaunchMode.Native),
            "spec.launchMode: NATIVE is only for QCOW2 images exported from this platform, not for a VMDK image; use PARAVIRTUALIZED (recommended) or EMULATED (SPEC §3)"
        },
        {
            "launch mode on an .oci image", i => i.Spec.SourceImageType = SourceImageType.Oci,
            "spec.launchMode: must not be set for an .oci image: its launch mode comes from the image's own metadata (SPEC §3)"
        },
        {
            "unknown shape", i => i.Spec.ShapeCompatibilities[0].Shape = "vm.gone",
            "spec.shapeCompatibilities[0].shape: no ComputeShape named 'vm.gone'"
        },
    };

    [Theory]
    [MemberData(nameof(Denied))]
    public async Task Imports_breaking_a_rule_are_denied(string rule, Action<ImageImport> breakIt, string expected)
    {
        lookup.AddSecret(Samples.Namespace, "par", "url", "https://os.example.com/p/tok3n/n/tenancy/b/images/o/ol8.qcow2")
            .AddSecret(Samples.Namespace, "par", "garbage", "not a url")
            .AddSecret(Samples.Namespace, "par", "library", "https://minio.example.com/image-library/images/team-b/web/1.qcow2?X-Amz-Signature=deadbeef")
            .AddSecret(Samples.Namespace, "half-keys", ObjectStores.AccessKeyKey, "AKIA")
            .AddSecret(Samples.Namespace, "keys", ObjectStores.AccessKeyKey, "AKIA")
            .AddSecret(Samples.Namespace, "keys", ObjectStores.SecretKeyKey, "s3cr3t")
            .AddImage(Samples.Namespace, Samples.LinuxImage("existing"))
            .AddImage("team-b", Samples.LinuxImage("private"));
        var import = Samples.UrlImport();
        breakIt(import);

        var result = await Validator.CreateAsync(import, Samples.Create, CancellationToken.None);

        result.Allowed.Should().BeFalse(rule);
        result.Message.Should().StartWith(expected, rule);
        result.Message.Should().NotContain("tok3n", "a pre-authenticated URL is never quoted").And.NotContain("deadbeef");
    }

    public static TheoryData<string, Action<ImageImport>> Allowed => new()
    {
        { "pre-authenticated URL from a Secret", i => i.Spec.Source.Url = new UrlLocation { SecretRef = new SecretKeyReference { Name = "par", Key = "url" } } },
        { "object store under the namespace's prefix", i => i.Spec.Source = new ImportSource { ObjectStore = new ObjectStoreLocation { Bucket = "images", Object = "team-a/ol8.vmdk" } } },
        { "object store, read-only grant", i => i.Spec.Source = new ImportSource { ObjectStore = new ObjectStoreLocation { Bucket = "public", Object = "ol8.vmdk" } } },
        {
            "object store with the namespace's own keys", i =>
            {
                i.Spec.Source = new ImportSource { ObjectStore = new ObjectStoreLocation { Bucket = "team-b-bucket", Object = "any/ol8.vmdk", CredentialsSecretRef = new LocalSecretReference { Name = "keys" } } };
            }
        },
        { "S3 path-style URL on the store, granted", i => i.Spec.Source.Url!.Url = "https://minio.example.com/images/team-a/ol8.qcow2" },
        { "S3 path-style URL elsewhere", i => i.Spec.Source.Url!.Url = "https://downloads.example.org/images/ol8.qcow2" },
        { "NATIVE on a QCOW2", i => i.Spec.LaunchMode = LaunchMode.Native },
        { "NATIVE with the format detected", i => (i.Spec.SourceImageType, i.Spec.LaunchMode) = (SourceImageType.Auto, LaunchMode.Native) },
        { "EMULATED on a VHD", i => (i.Spec.SourceImageType, i.Spec.LaunchMode) = (SourceImageType.Vhd, LaunchMode.Emulated) },
        { ".oci without OS or launch mode", i => (i.Spec.SourceImageType, i.Spec.LaunchMode, i.Spec.OperatingSystem, i.Spec.OperatingSystemVersion) = (SourceImageType.Oci, null, null, null) },
        { "manifest without OS", i => (i.Spec.Source, i.Spec.OperatingSystem, i.Spec.OperatingSystemVersion) = (new ImportSource { Manifest = new UrlLocation { Url = "https://os.example.com/n/t/b/exports/o/ol8.manifest.json" } }, null, null) },
        { "copy of a shared image", i => (i.Spec.Source, i.Spec.OperatingSystem, i.Spec.OperatingSystemVersion) = (new ImportSource { CustomImage = new ObjectReference { Namespace = "team-b", Name = "shared" } }, null, null) },
    };

    [Theory]
    [MemberData(nameof(Allowed))]
    public async Task Imports_within_the_rules_are_admitted(string rule, Action<ImageImport> change)
    {
        var shared = Samples.LinuxImage("shared");
        shared.Spec.Sharing = new ImageSharing { Namespaces = ["team-c", Samples.Namespace] };
        lookup.AddSecret(Samples.Namespace, "par", "url", "https://os.example.com/p/tok3n/n/tenancy/b/images/o/ol8.qcow2")
            .AddSecret(Samples.Namespace, "keys", ObjectStores.AccessKeyKey, "AKIA")
            .AddSecret(Samples.Namespace, "keys", ObjectStores.SecretKeyKey, "s3cr3t")
            .AddImage("team-b", shared);
        var import = Samples.UrlImport();
        change(import);

        var result = await Validator.CreateAsync(import, Samples.Create, CancellationToken.None);

        result.Allowed.Should().BeTrue($"{rule}: {result.Message}");
    }

    [Fact]
    public async Task The_shape_rules_of_a_copy_use_the_source_image_operating_system()
    {
        var shared = Samples.WindowsImage("win");
        shared.Spec.Sharing = new ImageSharing { Namespaces = [Samples.Namespace] };
        lookup.AddImage("team-b", shared);
        var import = Samples.UrlImport();
        (import.Spec.Source, import.Spec.OperatingSystem, import.Spec.OperatingSystemVersion) =
            (new ImportSource { CustomImage = new ObjectReference { Namespace = "team-b", Name = "win" } }, null, null);
        import.Spec.ShapeCompatibilities = [ShapeCompatibilityRulesTests.Entry("vm.standard.b1.1")];

        var result = await Validator.CreateAsync(import, Samples.Create, CancellationToken.None);

        result.Message.Should().Be("spec.shapeCompatibilities[0].shape: shape 'vm.standard.b1.1' has a v2 processor; Windows needs processor generation v3 or later");
    }

    [Theory]
    [InlineData("source")]
    [InlineData("sourceImageType")]
    [InlineData("imageName")]
    [InlineData("operatingSystemVersion")]
    public async Task The_source_and_what_it_holds_are_immutable(string field)
    {
        var after = Samples.UrlImport();
        switch (field)
        {
            case "source": after.Spec.Source.Url!.Url = "https://os.example.com/n/tenancy/b/images/o/other.qcow2"; break;
            case "sourceImageType": after.Spec.SourceImageType = SourceImageType.Vmdk; break;
            case "imageName": after.Spec.ImageName = "other"; break;
            default: after.Spec.OperatingSystemVersion = "9"; break;
        }

        var result = await Validator.UpdateAsync(Samples.UrlImport(), after, Samples.Update, CancellationToken.None);

        result.Message.Should().Be($"spec.{field}: is immutable: an import reads its source once; create another ImageImport to import something else");
    }

    [Fact]
    public async Task The_display_name_and_shapes_of_an_import_may_change()
    {
        var after = Samples.UrlImport();
        after.Spec.DisplayName = "new name";
        after.Spec.ShapeCompatibilities.Add(ShapeCompatibilityRulesTests.Entry("vm.standard3.flex", ocpuMax: 4));

        var result = await Validator.UpdateAsync(Samples.UrlImport(), after, Samples.Update, CancellationToken.None);

        result.Allowed.Should().BeTrue(result.Message);
    }
}

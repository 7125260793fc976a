using FluentAssertions;
using ImageOperator.Api.V1Alpha1;
using ImageOperator.Webhooks;
using Xunit;

namespace ImageOperator.Tests.Webhooks;

public sealed class ImageExportValidatorTests
{
    private readonly InMemoryAdmissionLookup lookup = InMemoryAdmissionLookup.WithCatalogue();

    public ImageExportValidatorTests()
    {
        lookup.AddImage(Samples.Namespace, Samples.LinuxImage())
            .AddSecret(Samples.Namespace, "bucket-par", "url", "https://os.example.com/p/s3cr3t/n/tenancy/b/exports/o/");
    }

    private ImageExportValidator Validator => new(lookup, TestPolicies.PerNamespacePrefixes());

    [Theory]
    [InlineData(ImageOrigin.Platform, "a platform image (origin Platform)")]
    [InlineData(ImageOrigin.Marketplace, "a marketplace image (origin Marketplace)")]
    [InlineData(ImageOrigin.DerivedFromMarketplace, "a custom image created from a marketplace image (origin DerivedFromMarketplace)")]
    public async Task Platform_and_marketplace_images_are_never_exported(ImageOrigin origin, string what)
    {
        var image = Samples.LinuxImage("vendor");
        image.Spec.Origin = origin;
        lookup.AddImage(Samples.Namespace, image);

        var result = await Validator.CreateAsync(Samples.Export("vendor"), Samples.Create, CancellationToken.None);

        result.Allowed.Should().BeFalse();
        result.Message.Should().Be($"spec.imageName: CustomImage 'vendor' is {what}; platform images, marketplace images and images created from marketplace images cannot be exported");
    }

    [Fact]
    public async Task Images_of_a_platform_only_operating_system_are_not_exported()
    {
        var image = Samples.LinuxImage("autonomous");
        (image.Spec.OperatingSystem, image.Spec.OperatingSystemVersion) = (GuestOperatingSystem.OracleAutonomousLinux, "7");
        lookup.AddImage(Samples.Namespace, image);

        var result = await Validator.CreateAsync(Samples.Export("autonomous"), Samples.Create, CancellationToken.None);

        result.Message.Should().Be("spec.imageName: CustomImage 'autonomous' runs Oracle Autonomous Linux 7, which does not support export");
    }

    [Fact]
    public async Task A_custom_image_is_exported()
    {
        var result = await Validator.CreateAsync(Samples.Export(), Samples.Create, CancellationToken.None);

        result.Allowed.Should().BeTrue(result.Message);
        result.Warnings.Should().BeEmpty();
    }

    [Fact]
    public async Task An_export_of_an_image_not_created_yet_is_admitted_with_a_warning()
    {
        var result = await Validator.CreateAsync(Samples.Export("later"), Samples.Create, CancellationToken.None);

        result.Allowed.Should().BeTrue();
        result.Warnings.Should().Equal("spec.imageName: CustomImage 'later' does not exist yet; the export waits for it (and checks then that it may be exported)");
    }

    public static TheoryData<string, ExportDestination, string> DeniedDestinations => new()
    {
        { "none", new ExportDestination(), "spec.destination: set exactly one of objectStore and url" },
        {
            "both", new ExportDestination { ObjectStore = new ObjectStoreLocation { Bucket = "b1b", Object = "o" }, Url = new UrlLocation { Url = "https://h/b/o" } },
            "spec.destination: set exactly one of objectStore and url"
        },
        {
            "bucket-level URL without object name", new ExportDestination { Url = new UrlLocation { SecretRef = new SecretKeyReference { Name = "bucket-par", Key = "url" } } },
            "spec.destination.objectName: required: the url names a bucket but no object (a bucket-level pre-authenticated request); name the object to write, it is appended as /o/<objectName>"
        },
        {
            "object name with an object URL", new ExportDestination { Url = new UrlLocation { Url = "https://os.example.com/n/t/b/exports/o/ol8.qcow2" }, ObjectName = "x.qcow2" },
            "spec.destination.objectName: must not be set: the url already names the object"
        },
        {
            "object name with an object store", new ExportDestination { ObjectStore = new ObjectStoreLocation { Bucket = "exports", Object = "team-a/a" }, ObjectName = "x" },
            "spec.destination.objectName: only applies to a bucket-level url; set objectStore.object instead"
        },
        {
            "empty object", new ExportDestination { ObjectStore = new ObjectStoreLocation { Bucket = "exports", Object = "" } },
            "spec.destination.objectStore.object: the object name is empty"
        },
        {
            "object key too long", new ExportDestination { ObjectStore = new ObjectStoreLocation { Bucket = "exports", Object = new string('é', 513) } },
            "spec.destination.objectStore.object: the object name is longer than 1024 bytes"
        },
        {
            "dot-dot segment (attack: write outside the bucket)", new ExportDestination { ObjectStore = new ObjectStoreLocation { Bucket = "exports", Object = "../image-library/x.qcow2" } },
            "spec.destination.objectStore.object: the object name has a '..' segment"
        },
        {
            "leading slash", new ExportDestination { ObjectStore = new ObjectStoreLocation { Bucket = "exports", Object = "/team-a/x.qcow2" } },
            "spec.destination.objectStore.object: the object name starts with '/'"
        },
        {
            "backslash", new ExportDestination { ObjectStore = new ObjectStoreLocation { Bucket = "exports", Object = "team-a\\..\\x" } },
            "spec.destination.objectStore.object: the object name contains a backslash"
        },
        {
            "bucket name with a slash", new ExportDestination { ObjectStore = new ObjectStoreLocation { Bucket = "exports/../image-library", Object = "team-a/x" } },
            "spec.destination.objectStore.bucket: "
        },
        {
            "the image library (attack: overwrite a stored disk)", new ExportDestination { ObjectStore = new ObjectStoreLocation { Bucket = "image-library", Object = "images/team-b/web/1.qcow2" } },
            "spec.destination.objectStore: bucket 'image-library' of store 'default' is the operator's image library: no export may write it (copy a shared image with spec.source.customImage, or export it to a bucket of yours)"
        },
        {
            "the image library by URL", new ExportDestination { Url = new UrlLocation { Url = "https://minio.example.com/image-library/images/team-b/web/1.qcow2" } },
            "spec.destination.url.url: bucket 'image-library' of store 'default' is the operator's image library: no export may write it"
        },
        {
            "another namespace's prefix (attack: confused deputy)", new ExportDestination { ObjectStore = new ObjectStoreLocation { Bucket = "exports", Object = "team-b/x.qcow2" } },
            "spec.destination.objectStore: namespace 'team-a' may not write object 'team-b/x.qcow2' in bucket 'exports' of store 'default' with the operator's keys: its grants to write there cover images/team-a/*, exports/team-a/*, b1b/team-a/*"
        },
        {
            "a read-only grant", new ExportDestination { ObjectStore = new ObjectStoreLocation { Bucket = "public", Object = "x.qcow2" } },
            "spec.destination.objectStore: namespace 'team-a' may not write object 'x.qcow2' in bucket 'public'"
        },
        {
            "pre-authenticated URL in plain sight", new ExportDestination { Url = new UrlLocation { Url = "https://os.example.com/p/s3cr3t/n/t/b/exports/o/" }, ObjectName = "a.qcow2" },
            "spec.destination.url.url: is a pre-authenticated (pre-signed) URL, which grants access and is shown once: store it in a Secret and refer to it with secretRef"
        },
    };

    [Theory]
    [MemberData(nameof(DeniedDestinations))]
    public async Task Invalid_destinations_are_denied(string rule, ExportDestination destination, string expected)
    {
        var export = Samples.Export();
        export.Spec.Destination = destination;

        var result = await Validator.CreateAsync(export, Samples.Create, CancellationToken.None);

        result.Allowed.Should().BeFalse(rule);
        result.Message.Should().StartWith(expected, rule);
    }

    [Fact]
    public async Task A_bucket_level_pre_authenticated_URL_with_an_object_name_is_admitted()
    {
        var export = Samples.Export();
        export.Spec.Destination = new ExportDestination { Url = new UrlLocation { SecretRef = new SecretKeyReference { Name = "bucket-par", Key = "url" } }, ObjectName = "ol8.qcow2" };

        var result = await Validator.CreateAsync(export, Samples.Create, CancellationToken.None);

        result.Allowed.Should().BeTrue(result.Message);
    }

    [Fact]
    public async Task The_spec_of_an_export_is_immutable()
    {
        var after = Samples.Export();
        after.Spec.Format = ExportFormat.Vmdk;

        var result = await Validator.UpdateAsync(Samples.Export(), after, Samples.Update, CancellationToken.None);

        result.Message.Should().Be("spec: is immutable: an export copies the image once; create another ImageExport to export again");
    }
}

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

    private ImageExportValidator Validator => new(lookup);

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
            "object name with an object store", new ExportDestination { ObjectStore = new ObjectStoreLocation { Bucket = "exports", Object = "a" }, ObjectName = "x" },
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
        result.Message.Should().Be(expected, rule);
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

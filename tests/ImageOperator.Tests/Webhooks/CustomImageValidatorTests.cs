using FluentAssertions;
using ImageOperator.Api.V1Alpha1;
using ImageOperator.Webhooks;
using Xunit;

namespace ImageOperator.Tests.Webhooks;

public sealed class CustomImageValidatorTests
{
    private readonly InMemoryAdmissionLookup lookup = InMemoryAdmissionLookup.WithCatalogue();

    private CustomImageValidator Validator => new(lookup);

    [Fact]
    public async Task A_valid_linux_image_is_admitted_without_warnings()
    {
        var result = await Validator.CreateAsync(Samples.LinuxImage(), Samples.Create, CancellationToken.None);

        result.Allowed.Should().BeTrue(result.Message);
        result.Warnings.Should().BeEmpty();
    }

    [Fact]
    public async Task A_valid_windows_image_is_admitted()
    {
        var result = await Validator.CreateAsync(Samples.WindowsImage(), Samples.Create, CancellationToken.None);

        result.Allowed.Should().BeTrue(result.Message);
    }

    [Fact]
    public async Task A_custom_windows_image_needs_the_licence_certification_but_a_platform_one_does_not()
    {
        var custom = Samples.WindowsImage();
        custom.Spec.LicenseAttestation = null;
        var platform = Samples.WindowsImage();
        platform.Spec.LicenseAttestation = null;
        platform.Spec.Origin = ImageOrigin.Platform;

        var denied = await Validator.CreateAsync(custom, Samples.Create, CancellationToken.None);
        var allowed = await Validator.CreateAsync(platform, Samples.Create, CancellationToken.None);

        denied.Allowed.Should().BeFalse();
        denied.Code.Should().Be(422);
        denied.Message.Should().StartWith("spec.licenseAttestation.windowsLicenseCompliant: must be true");
        allowed.Allowed.Should().BeTrue(allowed.Message);
    }

    [Fact]
    public async Task Every_violation_is_reported_in_one_message()
    {
        var image = Samples.WindowsImage();
        image.Spec.LicenseAttestation = null;
        image.Spec.ShapeCompatibilities.Add(ShapeCompatibilityRulesTests.Entry("vm.small.1"));

        var result = await Validator.CreateAsync(image, Samples.Create, CancellationToken.None);

        result.Allowed.Should().BeFalse();
        result.Message.Should().Be(string.Join("; ",
            "spec.licenseAttestation.windowsLicenseCompliant: must be true: importing a Windows image requires certifying that the chosen version and edition comply with the Microsoft licence terms",
            "spec.shapeCompatibilities[1].shape: an instance of shape 'vm.small.1' may have 1 vCPU(s); Windows needs at least 2 vCPUs",
            "spec.shapeCompatibilities[1].shape: an instance of shape 'vm.small.1' may have 2 GB of memory; Windows needs at least 4 GB"));
    }

    [Fact]
    public async Task Confidential_looking_names_are_warned_about()
    {
        var image = Samples.LinuxImage();
        image.Spec.DisplayName = "golden image for bob@example.com";

        var result = await Validator.CreateAsync(image, Samples.Create, CancellationToken.None);

        result.Allowed.Should().BeTrue();
        result.Warnings.Should().ContainSingle().Which.Should().StartWith("spec.displayName: looks like it contains an e-mail address");
    }

    [Fact]
    public async Task The_display_name_and_the_shape_list_may_change()
    {
        var before = Imported(Samples.LinuxImage());
        var after = Imported(Samples.LinuxImage());
        after.Spec.DisplayName = "renamed";
        after.Spec.ShapeCompatibilities.Add(ShapeCompatibilityRulesTests.Entry("vm.standard2.4"));

        var result = await Validator.UpdateAsync(before, after, Samples.Update, CancellationToken.None);

        result.Allowed.Should().BeTrue(result.Message);
    }

    [Theory]
    [InlineData("operatingSystemVersion")]
    [InlineData("architecture")]
    [InlineData("launchMode")]
    [InlineData("builtOnHardwareGeneration")]
    public async Task What_describes_an_imported_disk_is_immutable(string field)
    {
        var before = Imported(Samples.LinuxImage());
        var after = Imported(Samples.LinuxImage());
        switch (field)
        {
            case "operatingSystemVersion": after.Spec.OperatingSystemVersion = "8.10"; break;
            case "architecture": after.Spec.Architecture = CpuArchitecture.I386; after.Spec.ShapeCompatibilities.Clear(); break;
            case "launchMode": after.Spec.LaunchMode = LaunchMode.Emulated; break;
            default: after.Spec.BuiltOnHardwareGeneration = HardwareGeneration.X7; break;
        }

        var result = await Validator.UpdateAsync(before, after, Samples.Update, CancellationToken.None);

        result.Allowed.Should().BeFalse();
        result.Message.Should().Be($"spec.{field}: is immutable: it describes the imported disk; only displayName, shapeCompatibilities, tags and sharing may change (SPEC §8)");
    }

    [Fact]
    public async Task The_origin_is_immutable_even_before_import()
    {
        var before = Samples.LinuxImage();
        before.Spec.Origin = ImageOrigin.Marketplace;
        var after = Samples.LinuxImage();

        var result = await Validator.UpdateAsync(before, after, Samples.Update, CancellationToken.None);

        result.Message.Should().Be("spec.origin: is immutable: the origin decides whether the image may be exported (SPEC §5)");
    }

    [Fact]
    public async Task An_image_being_exported_cannot_be_deleted()
    {
        lookup.AddRunningExport(Samples.Namespace, "ol8-base", "nightly-backup");
        var image = Samples.LinuxImage();
        image.Status.ActiveExports = ["to-region-b"];

        var result = await Validator.DeleteAsync(image, Samples.Delete, CancellationToken.None);

        result.Allowed.Should().BeFalse();
        result.Code.Should().Be(409);
        result.Message.Should().Be(
            "CustomImage 'ol8-base' cannot be deleted while it is being exported (ImageExport nightly-backup, to-region-b); wait until the export finishes or delete the ImageExport first");
    }

    [Fact]
    public async Task An_image_without_running_exports_can_be_deleted()
    {
        lookup.AddRunningExport(Samples.Namespace, "other-image", "nightly-backup");

        var result = await Validator.DeleteAsync(Samples.LinuxImage(), Samples.Delete, CancellationToken.None);

        result.Allowed.Should().BeTrue();
    }

    private static CustomImage Imported(CustomImage image)
    {
        image.Status.SourceImport = new ObjectReference { Name = "import-ol8" };
        return image;
    }
}

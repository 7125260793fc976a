using FluentAssertions;
using ImageOperator.Api.V1Alpha1;
using ImageOperator.Controllers;
using ImageOperator.Storage;
using Xunit;

namespace ImageOperator.Tests.Controllers;

/// <summary>What a manifest import accepts, and which disk a manifest URL reaches by its own authority.</summary>
public sealed class ManifestSourceTests
{
    private static readonly ExportManifest Valid = ExportManifest.For(
        new CustomImage
        {
            Metadata = new() { Name = "web" },
            Spec = new CustomImageSpec
            {
                OperatingSystem = GuestOperatingSystem.Ubuntu,
                OperatingSystemVersion = "22.04",
                LaunchMode = LaunchMode.Emulated,
                Architecture = CpuArchitecture.I386,
                ShapeCompatibilities = [new ShapeCompatibility { Shape = "vm.standard.e4.flex", OcpuConstraints = new OcpuRange { Min = 2, Max = 4 } }],
            },
        },
        ExportFormat.Vhd, "bucket", "disks/web.vhd", 1024, 4096, new string('a', 64), new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc));

    [Fact]
    public void A_manifest_written_by_an_export_is_valid_and_carries_the_image_description()
    {
        ExportManifest.Parse(Valid.ToUtf8Json()).Validate().Should().Be(ExportFormat.Vhd);

        var metadata = Valid.ToImageMetadata();

        metadata.OperatingSystem.Should().Be("Ubuntu");
        metadata.LaunchMode.Should().Be("EMULATED");
        metadata.Architecture.Should().Be("i386");
        metadata.ShapeCompatibilities.Should().ContainSingle(s => s.Shape == "vm.standard.e4.flex" && s.MinOcpus == 2 && s.MaxOcpus == 4);
    }

    public static TheoryData<ExportManifest, string> Broken => new()
    {
        { Valid with { SchemaVersion = 2 }, "schemaVersion 2" },
        { Valid with { Format = "ISO" }, "format 'ISO'" },
        { Valid with { SizeBytes = 0 }, "sizeBytes" },
        { Valid with { VirtualSizeBytes = -1 }, "virtualSizeBytes" },
        { Valid with { Sha256 = new string('A', 64) }, "sha256" },
        { Valid with { Sha256 = "abc" }, "sha256" },
        { Valid with { DiskObject = "" }, "diskObject" },
        { Valid with { DiskObject = "../image-library/images/team-b/web/1.qcow2" }, "diskObject is refused: the object name has a '..' segment" },
        { Valid with { OperatingSystem = "Plan 9" }, "operatingSystem 'Plan 9'" },
        { Valid with { LaunchMode = "FAST" }, "launchMode 'FAST'" },
        { Valid with { Architecture = "sparc" }, "architecture 'sparc'" },
    };

    [Theory]
    [MemberData(nameof(Broken))]
    public void A_broken_manifest_is_refused_naming_the_field(ExportManifest manifest, string field)
    {
        var act = () => manifest.Validate();

        act.Should().Throw<TransferFailure>().Where(f => f.Reason == ControllerReasons.InvalidManifest && f.Message.Contains(field));
    }

    [Theory]
    [InlineData("https://os.example.com/p/tok3n/n/tenancy/b/shared/o/exports/web.vhd.manifest.json", "https://os.example.com/p/tok3n/n/tenancy/b/shared/o/disks/web.vhd")]
    [InlineData("https://os.example.com/n/tenancy/b/shared/o/web.vhd.manifest.json", "https://os.example.com/n/tenancy/b/shared/o/disks/web.vhd")]
    [InlineData("http://127.0.0.1:9000/shared/exports/web.vhd.manifest.json", "http://127.0.0.1:9000/shared/disks/web.vhd")]
    public void The_disk_beside_a_manifest_is_in_its_bucket_under_its_authority(string manifest, string disk)
    {
        var beside = ImportSources.Beside(ObjectLocation.Parse(manifest), "disks/web.vhd")!;

        beside.Url!.AbsoluteUri.Should().Be(disk);
        beside.Bucket.Should().Be("shared");
        beside.Key.Should().Be("disks/web.vhd");
    }

    [Fact]
    public void A_presigned_manifest_url_reaches_nothing_else()
    {
        var presigned = ObjectLocation.Parse("http://127.0.0.1:9000/shared/web.vhd.manifest.json?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=00");

        ImportSources.Beside(presigned, "web.vhd").Should().BeNull();
    }

    [Fact]
    public void An_export_through_a_bucket_level_request_writes_disk_and_manifest_under_its_token()
    {
        var bucket = ObjectLocation.Parse("https://os.example.com/p/tok3n/n/tenancy/b/shared/o/", allowBucketLevel: true);

        var disk = bucket.WithObject("web image.vmdk");
        var manifest = ImportSources.Beside(disk, disk.Key + ExportManifest.Suffix)!;

        disk.Url!.AbsoluteUri.Should().Be("https://os.example.com/p/tok3n/n/tenancy/b/shared/o/web%20image.vmdk");
        manifest.Url!.AbsoluteUri.Should().Be("https://os.example.com/p/tok3n/n/tenancy/b/shared/o/web%20image.vmdk.manifest.json");
        manifest.Kind.Should().Be(ObjectLocationKind.PreauthenticatedUrl);
        manifest.ToString().Should().NotContain("tok3n");
    }
}

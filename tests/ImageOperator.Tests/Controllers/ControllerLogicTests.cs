using FluentAssertions;
using ImageOperator.Api.V1Alpha1;
using ImageOperator.Configuration;
using ImageOperator.Controllers;
using ImageOperator.DiskFormats;
using ImageOperator.Storage;
using Xunit;

namespace ImageOperator.Tests.Controllers;

public sealed class ControllerLogicTests
{
    [Theory]
    [InlineData(ImageProblem.FormatMismatch, ConditionReasons.FormatMismatch)]
    [InlineData(ImageProblem.Unsupported, ConditionReasons.UnsupportedFormat)]
    [InlineData(ImageProblem.BackingFile, ConditionReasons.UnsafeImage)]
    [InlineData(ImageProblem.ExternalData, ConditionReasons.UnsafeImage)]
    [InlineData(ImageProblem.Encrypted, ConditionReasons.UnsafeImage)]
    [InlineData(ImageProblem.LimitExceeded, ConditionReasons.UnsafeImage)]
    [InlineData(ImageProblem.Malformed, ConditionReasons.CorruptImage)]
    [InlineData(ImageProblem.Truncated, ConditionReasons.CorruptImage)]
    [InlineData(ImageProblem.MarkedCorrupt, ConditionReasons.CorruptImage)]
    public void Every_engine_refusal_maps_to_a_reason(ImageProblem problem, string reason) =>
        TransferFailure.ReasonOf(problem).Should().Be(reason);

    [Fact]
    public void Storage_errors_are_permanent_except_server_and_network_failures()
    {
        TransferFailure.Classify(new ObjectStorageException(ObjectStorageError.NotFound, "gone"), "x")!.Reason.Should().Be(ConditionReasons.SourceNotFound);
        TransferFailure.Classify(new ObjectStorageException(ObjectStorageError.AccessDenied, "no"), "x")!.Reason.Should().Be(ConditionReasons.AccessDenied);
        TransferFailure.Classify(new ObjectStorageException(ObjectStorageError.Other, "503"), "x").Should().BeNull();
        TransferFailure.Classify(new HttpRequestException("reset"), "x").Should().BeNull();
    }

    [Fact]
    public void Failure_messages_never_carry_a_signature()
    {
        var failure = TransferFailure.Classify(
            new DiskImageException(ImageProblem.Malformed, "bad table in https://s3.example/b/o?X-Amz-Signature=abc&X-Amz-Credential=key"), "source")!;

        failure.Message.Should().NotContain("abc").And.NotContain("X-Amz-Credential=key");
    }

    [Fact]
    public void Enum_values_travel_in_their_api_spelling()
    {
        ImageSpecMetadata.Text(GuestOperatingSystem.OracleLinux).Should().Be("Oracle Linux");
        ImageSpecMetadata.Text(LaunchMode.Paravirtualized).Should().Be("PARAVIRTUALIZED");
        ImageSpecMetadata.Parse<LaunchMode>("EMULATED").Should().Be(LaunchMode.Emulated);
        ImageSpecMetadata.Parse<LaunchMode>("HYPERSPEED").Should().BeNull();
        ImageSpecMetadata.Parse<CpuArchitecture>(null).Should().BeNull();
    }

    [Fact]
    public void Source_metadata_fills_only_what_the_user_left_out()
    {
        // The image was created from the import, so it already holds what the user set.
        var spec = new CustomImageSpec { OperatingSystem = GuestOperatingSystem.OracleLinux, OperatingSystemVersion = "9.2" };
        var user = new ImageImportSpec { OperatingSystemVersion = "9.2" };
        var metadata = new ImageMetadata
        {
            OperatingSystem = "Ubuntu",
            OperatingSystemVersion = "22.04",
            Architecture = "i386",
            ShapeCompatibilities = [new ShapeCompatibilityMetadata { Shape = "vm.standard2.1", MaxOcpus = 2 }],
        };

        ImageSpecMetadata.Apply(metadata, spec, user);

        spec.OperatingSystem.Should().Be(GuestOperatingSystem.Ubuntu);
        spec.OperatingSystemVersion.Should().Be("9.2", "the user's value wins");
        spec.Architecture.Should().Be(CpuArchitecture.I386);
        spec.ShapeCompatibilities.Should().ContainSingle(s => s.Shape == "vm.standard2.1" && s.OcpuConstraints!.Max == 2);
    }

    [Fact]
    public void Export_metadata_is_marked_as_this_platforms()
    {
        var image = new CustomImage { Metadata = new() { Name = "web" }, Spec = new CustomImageSpec { OperatingSystemVersion = "8.9" } };

        var metadata = ImageSpecMetadata.ForExport(image);

        metadata.ExportedBy.Should().Be(ImageSpecMetadata.ThisPlatform);
        metadata.DisplayName.Should().Be("web");
        metadata.LaunchMode.Should().Be("NATIVE");
    }

    [Fact]
    public void Manifest_round_trips()
    {
        var image = new CustomImage { Metadata = new() { Name = "web" }, Spec = new CustomImageSpec { OperatingSystem = GuestOperatingSystem.Ubuntu, OperatingSystemVersion = "22.04" } };
        var manifest = ExportManifest.For(image, ExportFormat.Vmdk, "bucket", "disk.vmdk", 123, 456, new string('a', 64), new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc));

        var parsed = ExportManifest.Parse(manifest.ToUtf8Json());

        parsed.Should().BeEquivalentTo(manifest);
        System.Text.Encoding.UTF8.GetString(manifest.ToUtf8Json()).Should().Contain("\"format\": \"VMDK\"").And.Contain("\"diskObject\": \"disk.vmdk\"");
    }

    [Fact]
    public void Library_keys_are_per_import_and_only_library_objects_are_deletable()
    {
        var import = new ImageImport { Metadata = new() { Name = "i", NamespaceProperty = "team", Uid = "1234" }, Spec = new ImageImportSpec { ImageName = "web" } };

        ImageLibrary.DiskKey(import).Should().Be("images/team/web/1234.qcow2");
        ImageLibrary.Owns(new StoredDisk { Store = "default", Bucket = "lib", Object = "images/team/web/1234.qcow2" }, "team", "default", "lib").Should().BeTrue();
        ImageLibrary.Owns(new StoredDisk { Store = "default", Bucket = "user-bucket", Object = "images/team/x" }, "team", "default", "lib").Should().BeFalse();
        ImageLibrary.Owns(new StoredDisk { Store = "default", Bucket = "lib", Object = "other/x" }, "team", "default", "lib").Should().BeFalse();
        ImageLibrary.Owns(new StoredDisk { Store = "default", Bucket = "lib", Object = "images/victim/web/1.qcow2" }, "team", "default", "lib").Should().BeFalse("a status edited to name another namespace's disk must not get it deleted");
        ImageLibrary.Owns(new StoredDisk { Store = "default", Bucket = "lib", Object = "images/team/../victim/web/1.qcow2" }, "team", "default", "lib").Should().BeFalse();
    }

    [Fact]
    public void Default_export_object_names_carry_the_format_extension()
    {
        ImageExportController.DefaultObjectName("web", ExportFormat.Oci).Should().Be("web.oci");
        ImageExportController.DefaultObjectName("web", ExportFormat.Vhd).Should().Be("web.vhd");
    }

    [Fact]
    public void Yaml_configuration_becomes_configuration_keys()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, """
                ImageOperator:
                  ObjectStores:
                    - Name: east
                      Endpoint: https://s3.east:9000
                      CredentialsSecret: {Namespace: ops, Name: keys}
                    - Name: west
                  Library: {Bucket: images}
                """);

            var values = YamlConfigurationFile.Load(path);

            values["ImageOperator:ObjectStores:0:Name"].Should().Be("east");
            values["ImageOperator:ObjectStores:0:CredentialsSecret:Name"].Should().Be("keys");
            values["ImageOperator:ObjectStores:1:Name"].Should().Be("west");
            values["ImageOperator:Library:Bucket"].Should().Be("images");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Invalid_yaml_names_the_file()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "ImageOperator: [unclosed");
            var act = () => YamlConfigurationFile.Load(path);
            act.Should().Throw<InvalidDataException>().WithMessage($"*{path}*");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Store_settings_pick_tls_from_the_endpoint_and_tell_a_pem_from_a_file()
    {
        var https = new ObjectStoreSettings { Name = "a", Endpoint = "https://s3:443", CaBundle = "/etc/ca.pem" }.ToStorageOptions();
        https.UseTls.Should().BeTrue();
        https.CaBundleFile.Should().Be("/etc/ca.pem");
        var http = new ObjectStoreSettings { Name = "b", Endpoint = "http://s3:80", CaBundle = "-----BEGIN CERTIFICATE-----\nx" }.ToStorageOptions();
        http.UseTls.Should().BeFalse();
        http.CaBundlePem.Should().StartWith("-----BEGIN");
        new OperatorOptions { ObjectStores = [new ObjectStoreSettings { Name = "first" }] }.Store(null).Name.Should().Be("first");
        var unknown = () => new OperatorOptions { ObjectStores = [new ObjectStoreSettings { Name = "first" }] }.Store("nope");
        unknown.Should().Throw<KeyNotFoundException>().WithMessage("*nope*");
    }
}

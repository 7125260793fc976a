using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using FluentAssertions;
using ImageOperator.Api;
using ImageOperator.Api.V1Alpha1;
using k8s;
using k8s.Models;
using Xunit;

namespace ImageOperator.Tests.Api;

public sealed class SerializationTests
{
    private static readonly DateTime Started = new(2026, 11, 23, 9, 30, 0, DateTimeKind.Utc);

    public static TheoryData<IKubernetesObject<V1ObjectMeta>> Resources() =>
    [
        FullCustomImage(),
        FullImageImport(),
        FullImageExport(),
        new ComputeShape
        {
            Metadata = new() { Name = "vm.standard.e4.flex" },
            Spec = new()
            {
                DisplayName = "VM.Standard.E4.Flex",
                HardwareGeneration = HardwareGeneration.E4,
                ProcessorGeneration = ProcessorGeneration.V5,
                Ocpus = 64,
                MemoryInGBs = 1024,
                OcpuOptions = new() { Min = 1, Max = 64 },
                MemoryOptions = new() { MinInGBs = 1, MaxInGBs = 1024 },
                MaxVnics = 24,
                NetworkingBandwidthGbps = 40.5,
                LocalNvmeDrives = 2,
                Gpus = 1,
                Baremetal = true,
            },
        },
    ];

    [Theory]
    [MemberData(nameof(Resources))]
    public void Round_trips_through_kubernetes_json(IKubernetesObject<V1ObjectMeta> resource)
    {
        var json = KubernetesJson.Serialize(resource);

        var back = (IKubernetesObject<V1ObjectMeta>)KubernetesJsonOf.Deserialize(json, resource.GetType());

        KubernetesJson.Serialize(back).Should().Be(json);
        back.ApiVersion.Should().Be("imageoperator.io/v1alpha1");
        back.Kind.Should().Be(resource.GetType().Name);
    }

    [Fact]
    public void Custom_image_uses_the_wire_names_of_the_api()
    {
        var json = JsonNode.Parse(KubernetesJson.Serialize(FullCustomImage()))!;

        json["apiVersion"]!.GetValue<string>().Should().Be("imageoperator.io/v1alpha1");
        json["kind"]!.GetValue<string>().Should().Be("CustomImage");
        var spec = json["spec"]!;
        spec["operatingSystem"]!.GetValue<string>().Should().Be("Windows");
        spec["operatingSystemVersion"]!.GetValue<string>().Should().Be("Server 2019 Datacenter");
        spec["launchMode"]!.GetValue<string>().Should().Be("PARAVIRTUALIZED");
        spec["architecture"]!.GetValue<string>().Should().Be("x86_64");
        spec["origin"]!.GetValue<string>().Should().Be("DerivedFromMarketplace");
        spec["builtOnHardwareGeneration"]!.GetValue<string>().Should().Be("X6");
        spec["shapeCompatibilities"]![1]!["memoryConstraints"]!["maxInGBs"]!.GetValue<int>().Should().Be(128);
        spec["definedTags"]!["operations"]!["cost-center"]!.GetValue<string>().Should().Be("4211");
        spec["licenseAttestation"]!["windowsLicenseCompliant"]!.GetValue<bool>().Should().BeTrue();
        var status = json["status"]!;
        status["lifecycleState"]!.GetValue<string>().Should().Be("Exporting");
        status["storedDisk"]!["format"]!.GetValue<string>().Should().Be("QCOW2");
        status["conditions"]![0]!["lastTransitionTime"]!.GetValue<string>().Should().Be("2026-11-23T09:30:00Z");
    }

    [Fact]
    public void Reads_an_object_as_the_api_server_returns_it()
    {
        const string json = """
            {"apiVersion":"imageoperator.io/v1alpha1","kind":"ImageImport",
             "metadata":{"name":"ol8","namespace":"team-a","generation":2},
             "spec":{"source":{"url":{"secretRef":{"name":"par","key":"url"}}},"sourceImageType":"VMDK",
                     "imageName":"ol8","launchMode":"EMULATED","architecture":"i386","operatingSystem":"CentOS Stream"},
             "status":{"phase":"Failed","detectedFormat":"QCOW2",
                       "conditions":[{"type":"Failed","status":"True","reason":"FormatMismatch","message":"data is QCOW2",
                                      "lastTransitionTime":"2026-11-23T09:30:00Z","observedGeneration":2}]}}
            """;

        var import = KubernetesJson.Deserialize<ImageImport>(json);

        import.Spec.Source.Url!.SecretRef!.Name.Should().Be("par");
        import.Spec.SourceImageType.Should().Be(SourceImageType.Vmdk);
        import.Spec.LaunchMode.Should().Be(LaunchMode.Emulated);
        import.Spec.Architecture.Should().Be(CpuArchitecture.I386);
        import.Spec.OperatingSystem.Should().Be(GuestOperatingSystem.CentOSStream);
        import.Status.Phase.Should().Be(ImportPhase.Failed);
        import.Status.DetectedFormat.Should().Be(SourceImageType.Qcow2);
        import.Status.Find(ConditionTypes.Failed)!.Reason.Should().Be(ConditionReasons.FormatMismatch);
        import.Status.Find(ConditionTypes.Failed)!.LastTransitionTime.Should().Be(Started);
    }

    [Fact]
    public void Omitted_fields_take_the_same_defaults_as_the_crd()
    {
        var image = KubernetesJson.Deserialize<CustomImage>(
            """{"spec":{"operatingSystem":"Ubuntu","operatingSystemVersion":"22.04","launchMode":"NATIVE"}}""");

        image.Spec.Architecture.Should().Be(CpuArchitecture.X86_64);
        image.Spec.Origin.Should().Be(ImageOrigin.Custom);
        image.Spec.Disabled.Should().BeFalse();
        image.Status.Conditions.Should().BeEmpty();
        new BlockDeviceMapping().DeleteOnTermination.Should().BeTrue();
        new PreauthenticatedRequest().ExpiresInSeconds.Should().Be(86400);
        new ComputeShapeSpec().VcpusPerOcpu.Should().Be(2);
    }

    [Fact]
    public void Mandated_enum_wire_names_are_exact()
    {
        WireNames<LaunchMode>().Should().Equal("NATIVE", "PARAVIRTUALIZED", "EMULATED");
        WireNames<CpuArchitecture>().Should().Equal("x86_64", "i386");
        WireNames<ImageOrigin>().Should().Equal("Custom", "Platform", "Marketplace", "DerivedFromMarketplace");
        WireNames<ImageLifecycleState>().Should().Equal(
            "Provisioning", "Importing", "Available", "Exporting", "Disabled", "Deleted", "Failed");
        WireNames<SourceImageType>().Should().Equal("Auto", "QCOW2", "VMDK", "OCI", "VDI", "VHD", "RAW");
        WireNames<ExportFormat>().Should().Equal("OCI", "QCOW2", "VMDK", "VDI", "VHD", "RAW");
        WireNames<ImportPhase>().Should().Equal("Pending", "Importing", "Succeeded", "Failed");
        WireNames<ExportPhase>().Should().Equal("Pending", "Exporting", "Succeeded", "Failed");
        WireNames<ProcessorGeneration>().Should().Equal("v1", "v2", "v3", "v4", "v5", "v6");
        WireNames<GuestOperatingSystem>().Should().Contain(["Oracle Linux", "CentOS Stream", "Ubuntu", "Windows"]);
    }

    public static TheoryData<Type> ApiEnums() =>
        new(typeof(CustomImage).Assembly.GetTypes().Where(t => t.IsEnum && t.IsPublic));

    [Theory]
    [MemberData(nameof(ApiEnums))]
    public void Every_api_enum_value_round_trips_by_its_declared_wire_name(Type enumType)
    {
        foreach (var value in Enum.GetValues(enumType))
        {
            var name = Enum.GetName(enumType, value)!;
            var wire = enumType.GetField(name)!.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name ?? name;

            var json = KubernetesJson.Serialize(value);

            json.Should().Be($"\"{wire}\"");
            KubernetesJsonOf.Deserialize(json, enumType).Should().Be(value);
        }
    }

    [Fact]
    public void Unknown_enum_names_are_refused()
    {
        var read = () => KubernetesJson.Deserialize<CustomImageSpec>("""{"launchMode":"native"}""");

        read.Should().Throw<System.Text.Json.JsonException>();
    }

    [Fact]
    public void Lists_read_as_the_api_server_returns_them()
    {
        var list = KubernetesJson.Deserialize<CustomResourceList<ComputeShape>>(
            """{"apiVersion":"imageoperator.io/v1alpha1","kind":"ComputeShapeList","metadata":{"resourceVersion":"42"},"items":[{"metadata":{"name":"vm.standard2.1"},"spec":{"hardwareGeneration":"X7","processorGeneration":"v4","ocpus":1,"memoryInGBs":15,"maxVnics":2,"networkingBandwidthGbps":1}}]}""");

        list.Metadata.ResourceVersion.Should().Be("42");
        list.Items.Should().ContainSingle().Which.Spec.Vcpus.Should().Be(2);
    }

    private static List<string> WireNames<T>()
        where T : struct, Enum =>
        Enum.GetValues<T>().Select(v => KubernetesJson.Serialize(v).Trim('"')).ToList();

    private static CustomImage FullCustomImage()
    {
        var image = new CustomImage
        {
            Metadata = new() { Name = "win2019", NamespaceProperty = "team-a", Generation = 3 },
            Spec = new()
            {
                DisplayName = "Windows 2019",
                OperatingSystem = GuestOperatingSystem.Windows,
                OperatingSystemVersion = "Server 2019 Datacenter",
                LaunchMode = LaunchMode.Paravirtualized,
                BuiltOnHardwareGeneration = HardwareGeneration.X6,
                Origin = ImageOrigin.DerivedFromMarketplace,
                ShapeCompatibilities =
                [
                    new() { Shape = "vm.standard2.4" },
                    new()
                    {
                        Shape = "vm.standard.e4.flex",
                        OcpuConstraints = new() { Min = 2, Max = 8 },
                        MemoryConstraints = new() { MinInGBs = 8, MaxInGBs = 128 },
                    },
                ],
                FreeformTags = new Dictionary<string, string> { ["team"] = "web" },
                DefinedTags = new Dictionary<string, IDictionary<string, string>>
                {
                    ["operations"] = new Dictionary<string, string> { ["cost-center"] = "4211" },
                },
                Sharing = new() { Namespaces = ["team-b", "team-c"] },
                BlockDeviceMappings = [new() { DeviceName = "/dev/sdb", VolumeSizeGiB = 100, SnapshotName = "data", DeleteOnTermination = false }],
                InstanceAttributes = new() { DisableApiTermination = true },
                LicenseAttestation = new() { WindowsLicenseCompliant = true },
                Disabled = true,
            },
        };
        image.Status.LifecycleState = ImageLifecycleState.Exporting;
        image.Status.ObservedGeneration = 3;
        image.Status.StoredDisk = new()
        {
            Store = "default", Bucket = "images", Object = "team-a/win2019.qcow2", Format = ExportFormat.Qcow2,
            SizeBytes = 123, VirtualSizeBytes = 1 << 30, Sha256 = new string('a', 64),
        };
        image.Status.ActiveExports = ["win2019-vmdk"];
        image.Status.SourceImport = new() { Namespace = "team-a", Name = "win2019" };
        image.Status.Warnings = ["RealTimeIsUniversal is not set"];
        image.Status.Set(ConditionTypes.Ready, ConditionStatus.True, ConditionReasons.Available, "ok", 3, Started);
        return image;
    }

    private static ImageImport FullImageImport()
    {
        var import = new ImageImport
        {
            Metadata = new() { Name = "ol8", NamespaceProperty = "team-a" },
            Spec = new()
            {
                Source = new() { Manifest = new() { Url = "https://s3.example.com/exports/ol8.manifest.json" } },
                SourceImageType = SourceImageType.Oci,
                ImageName = "ol8",
                DisplayName = "Oracle Linux 8",
                OperatingSystem = GuestOperatingSystem.OracleLinux,
                OperatingSystemVersion = "8.9",
                LaunchMode = LaunchMode.Native,
                Architecture = CpuArchitecture.X86_64,
                LicenseAttestation = new() { WindowsLicenseCompliant = false },
                ShapeCompatibilities = [new() { Shape = "vm.standard2.1" }],
                FreeformTags = new Dictionary<string, string> { ["a"] = "b" },
            },
            Status = new()
            {
                Phase = ImportPhase.Importing,
                Progress = new() { Percent = 42, BytesDone = 420, BytesTotal = 1000 },
                DetectedFormat = SourceImageType.Qcow2,
                VirtualSizeBytes = 10L << 30,
                ImageRef = new() { Name = "ol8" },
                StartTime = Started,
                CompletionTime = Started.AddMinutes(3),
                ObservedGeneration = 1,
            },
        };
        import.Status.Set(ConditionTypes.Importing, ConditionStatus.True, ConditionReasons.InProgress, "42%", 1, Started);
        return import;
    }

    private static ImageExport FullImageExport() => new()
    {
        Metadata = new() { Name = "ol8-oci", NamespaceProperty = "team-a" },
        Spec = new()
        {
            ImageName = "ol8",
            Format = ExportFormat.Oci,
            Destination = new()
            {
                Url = new() { SecretRef = new() { Name = "bucket-par", Key = "url" } },
                ObjectName = "ol8.oci",
            },
            PreauthenticatedRequest = new() { Enabled = true, ExpiresInSeconds = 3600, SecretName = "ol8-oci-par" },
        },
        Status = new()
        {
            Phase = ExportPhase.Succeeded,
            Progress = new() { Percent = 100, BytesDone = 1000, BytesTotal = 1000 },
            ObjectUrl = "https://s3.example.com/exports/ol8.oci",
            SizeBytes = 1000,
            Sha256 = new string('b', 64),
            ManifestObject = "ol8.oci.manifest.json",
            PreauthenticatedRequestSecretRef = new() { Name = "ol8-oci-par", Key = "url" },
            StartTime = Started,
            CompletionTime = Started.AddMinutes(1),
            ObservedGeneration = 1,
        },
    };
}

using ImageOperator.Api.V1Alpha1;
using ImageOperator.Runtime.Webhooks;
using k8s.Models;

namespace ImageOperator.Tests.Webhooks;

/// <summary>Valid objects that each test changes in one place.</summary>
internal static class Samples
{
    public const string Namespace = "team-a";

    public static AdmissionContext Create => new(AdmissionOperation.Create, Namespace, "x", "alice", DryRun: false);

    public static AdmissionContext Update => Create with { Operation = AdmissionOperation.Update };

    public static AdmissionContext Delete => Create with { Operation = AdmissionOperation.Delete };

    public static CustomImage LinuxImage(string name = "ol8-base") => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = Namespace },
        Spec = new CustomImageSpec
        {
            DisplayName = "Oracle Linux 8 base",
            OperatingSystem = GuestOperatingSystem.OracleLinux,
            OperatingSystemVersion = "8.9",
            LaunchMode = LaunchMode.Paravirtualized,
            ShapeCompatibilities = [new ShapeCompatibility { Shape = "vm.standard2.1" }],
        },
    };

    public static CustomImage WindowsImage(string name = "win2019") => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = Namespace },
        Spec = new CustomImageSpec
        {
            OperatingSystem = GuestOperatingSystem.Windows,
            OperatingSystemVersion = "Server 2019 Datacenter",
            LaunchMode = LaunchMode.Paravirtualized,
            LicenseAttestation = new LicenseAttestation { WindowsLicenseCompliant = true },
            ShapeCompatibilities = [new ShapeCompatibility { Shape = "vm.standard2.4" }],
        },
    };

    public static ImageImport UrlImport(string url = "https://objectstorage.example.com/n/tenancy/b/images/o/ol8.qcow2") => new()
    {
        Metadata = new V1ObjectMeta { Name = "import-ol8", NamespaceProperty = Namespace },
        Spec = new ImageImportSpec
        {
            Source = new ImportSource { Url = new UrlLocation { Url = url } },
            SourceImageType = SourceImageType.Qcow2,
            ImageName = "ol8-imported",
            OperatingSystem = GuestOperatingSystem.OracleLinux,
            OperatingSystemVersion = "8",
            LaunchMode = LaunchMode.Paravirtualized,
            ShapeCompatibilities = [new ShapeCompatibility { Shape = "vm.standard2.1" }],
        },
    };

    public static ImageExport Export(string imageName = "ol8-base") => new()
    {
        Metadata = new V1ObjectMeta { Name = "export-ol8", NamespaceProperty = Namespace },
        Spec = new ImageExportSpec
        {
            ImageName = imageName,
            Format = ExportFormat.Qcow2,
            Destination = new ExportDestination { ObjectStore = new ObjectStoreLocation { Bucket = "exports", Object = "team-a/ol8.qcow2" } },
        },
    };
}

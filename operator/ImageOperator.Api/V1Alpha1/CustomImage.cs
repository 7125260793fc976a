using System.Text.Json.Serialization;
using ImageOperator.Api.Schema;
using k8s.Models;

namespace ImageOperator.Api.V1Alpha1;

/// <summary>
/// A custom virtual-machine image: its operating system, launch mode, architecture, the shapes it may run on,
/// tags and sharing, and (in status) its lifecycle state and stored disk. An image cannot be deleted while an
/// export of it is running.
/// </summary>
[KubernetesEntity(Group = Groups.ImageOperator, ApiVersion = Groups.V1Alpha1, Kind = "CustomImage", PluralName = "customimages")]
[ShortNames("cimg")]
[Categories(Groups.Category)]
[PrinterColumn("State", PrinterColumnType.String, ".status.lifecycleState", "Lifecycle state.")]
[PrinterColumn("OS", PrinterColumnType.String, ".spec.operatingSystem", "Operating system.")]
[PrinterColumn("Version", PrinterColumnType.String, ".spec.operatingSystemVersion", "Operating system version.")]
[PrinterColumn("Launch Mode", PrinterColumnType.String, ".spec.launchMode", "Launch mode.")]
[PrinterColumn("Size", PrinterColumnType.Integer, ".status.storedDisk.sizeBytes", "Stored size in bytes.")]
[PrinterColumn("Age", PrinterColumnType.Date, ".metadata.creationTimestamp", "Time since creation.")]
public sealed class CustomImage : CustomResource<CustomImageSpec, CustomImageStatus>;

/// <summary>Desired state of a custom image.</summary>
public sealed class CustomImageSpec
{
    /// <summary>
    /// Human-readable name; defaults to the object name. It may be changed after creation. Avoid confidential
    /// information in it.
    /// </summary>
    [JsonPropertyName("displayName")]
    [Length(Min = 1, Max = 255)]
    public string? DisplayName { get; set; }

    /// <summary>Operating system installed in the image.</summary>
    [JsonPropertyName("operatingSystem")]
    [Required]
    public GuestOperatingSystem OperatingSystem { get; set; }

    /// <summary>
    /// Operating system version, for example <c>8.9</c> (Oracle Linux), <c>22.04</c> (Ubuntu) or
    /// <c>Server 2019 Datacenter</c> (Windows: version and edition, Standard or Datacenter).
    /// </summary>
    [JsonPropertyName("operatingSystemVersion")]
    [Required]
    [Length(Min = 1, Max = 64)]
    public string OperatingSystemVersion { get; set; } = "";

    /// <summary>How the hypervisor presents devices to the guest.</summary>
    [JsonPropertyName("launchMode")]
    [Required]
    public LaunchMode LaunchMode { get; set; }

    /// <summary>Processor architecture of the guest.</summary>
    [JsonPropertyName("architecture")]
    [Default(CpuArchitecture.X86_64)]
    public CpuArchitecture Architecture { get; set; } = CpuArchitecture.X86_64;

    /// <summary>
    /// Hardware generation the image was built on (its drivers match it). The admission webhook checks each shape
    /// compatibility entry against the hardware-generation matrix; omitted means unknown and no generation rule applies.
    /// </summary>
    [JsonPropertyName("builtOnHardwareGeneration")]
    public HardwareGeneration? BuiltOnHardwareGeneration { get; set; }

    /// <summary>
    /// Where the image came from. Platform, Marketplace and DerivedFromMarketplace images cannot be exported.
    /// </summary>
    [JsonPropertyName("origin")]
    [Default(ImageOrigin.Custom)]
    public ImageOrigin Origin { get; set; } = ImageOrigin.Custom;

    /// <summary>Shapes the image may be launched on, one entry per shape; entries may be added or removed later.</summary>
    [JsonPropertyName("shapeCompatibilities")]
    [Items(Max = Limits.MaxShapeCompatibilities)]
    [ListMapKeys("shape")]
    public IList<ShapeCompatibility> ShapeCompatibilities { get; set; } = [];

    /// <summary>Free-form tags: key (at most 100 characters) to value; at most 64 tags with definedTags together. No control characters or bidirectional overrides.</summary>
    [JsonPropertyName("freeformTags")]
    [Items(Max = Limits.MaxTags)]
    [ValueLength(Max = Limits.MaxTagValueLength)]
    public IDictionary<string, string> FreeformTags { get; set; } = new Dictionary<string, string>();

    /// <summary>Defined tags: tag namespace to (key to value), names of at most 100 characters; at most 64 tags with freeformTags together.</summary>
    [JsonPropertyName("definedTags")]
    [Items(Max = Limits.MaxTags)]
    [ValueLength(Max = Limits.MaxTagValueLength)]
    public IDictionary<string, IDictionary<string, string>> DefinedTags { get; set; } =
        new Dictionary<string, IDictionary<string, string>>();

    /// <summary>Other namespaces allowed to launch from or copy this image; the image is private when omitted.</summary>
    [JsonPropertyName("sharing")]
    public ImageSharing? Sharing { get; set; }

    /// <summary>Extra volumes created with instances launched from this image.</summary>
    [JsonPropertyName("blockDeviceMappings")]
    [Items(Max = Limits.MaxBlockDeviceMappings)]
    [ListMapKeys("deviceName")]
    public IList<BlockDeviceMapping> BlockDeviceMappings { get; set; } = [];

    /// <summary>Attributes given to instances launched from this image.</summary>
    [JsonPropertyName("instanceAttributes")]
    public InstanceAttributes? InstanceAttributes { get; set; }

    /// <summary>Licence certification; required for Windows images.</summary>
    [JsonPropertyName("licenseAttestation")]
    public LicenseAttestation? LicenseAttestation { get; set; }

    /// <summary>When true the image cannot be used to launch instances and its state becomes Disabled.</summary>
    [JsonPropertyName("disabled")]
    [Default(false)]
    public bool Disabled { get; set; }
}

/// <summary>Who else may use an image.</summary>
public sealed class ImageSharing
{
    /// <summary>
    /// Namespaces allowed to launch instances from the image or copy it. A copy is independent of the original,
    /// which its owner may delete: consumers should copy images they depend on.
    /// </summary>
    [JsonPropertyName("namespaces")]
    [ListSet]
    [Items(Max = Limits.MaxSharedNamespaces)]
    [ValueLength(Max = 63)]
    public IList<string> Namespaces { get; set; } = [];
}

/// <summary>An extra volume attached to instances launched from an image.</summary>
public sealed class BlockDeviceMapping
{
    /// <summary>Device name in the guest, for example <c>/dev/sdb</c>.</summary>
    [JsonPropertyName("deviceName")]
    [Required]
    [Pattern(Patterns.DeviceName)]
    [Length(Max = 32)]
    public string DeviceName { get; set; } = "";

    /// <summary>Volume size in GiB.</summary>
    [JsonPropertyName("volumeSizeGiB")]
    [Required]
    [Minimum(1)]
    [Maximum(32768)]
    public int VolumeSizeGiB { get; set; }

    /// <summary>
    /// Snapshot the volume is created from. A snapshot used by an image cannot be deleted while the image exists.
    /// </summary>
    [JsonPropertyName("snapshotName")]
    [Pattern(Patterns.ObjectName)]
    [Length(Max = 253)]
    public string? SnapshotName { get; set; }

    /// <summary>Whether the volume is deleted when the instance terminates.</summary>
    [JsonPropertyName("deleteOnTermination")]
    [Default(true)]
    public bool DeleteOnTermination { get; set; } = true;
}

/// <summary>Attributes of instances launched from an image.</summary>
public sealed class InstanceAttributes
{
    /// <summary>When true, instances cannot be terminated through the API until this is turned off.</summary>
    [JsonPropertyName("disableApiTermination")]
    [Default(false)]
    public bool DisableApiTermination { get; set; }
}

/// <summary>Observed state of a custom image.</summary>
public sealed class CustomImageStatus : ConditionedStatus
{
    /// <summary>Lifecycle state: Provisioning, Importing, Available, Exporting, Disabled, Deleted or Failed.</summary>
    [JsonPropertyName("lifecycleState")]
    public ImageLifecycleState? LifecycleState { get; set; }

    /// <summary>The image's disk in object storage, once imported.</summary>
    [JsonPropertyName("storedDisk")]
    public StoredDisk? StoredDisk { get; set; }

    /// <summary>Names of the ImageExports copying this image now; the image cannot be deleted while any remain.</summary>
    [JsonPropertyName("activeExports")]
    [ListSet]
    public IList<string> ActiveExports { get; set; } = [];

    /// <summary>The ImageImport that created this image, if any.</summary>
    [JsonPropertyName("sourceImport")]
    public ObjectReference? SourceImport { get; set; }

    /// <summary>
    /// Advice that does not block use of the image, such as a missing RealTimeIsUniversal registry value on
    /// Windows or a kernel update needed on newer hardware.
    /// </summary>
    [JsonPropertyName("warnings")]
    public IList<string> Warnings { get; set; } = [];
}

/// <summary>Where and how an image's disk is stored.</summary>
public sealed class StoredDisk
{
    /// <summary>Name of the object store holding the disk.</summary>
    [JsonPropertyName("store")]
    public string? Store { get; set; }

    /// <summary>Bucket holding the disk.</summary>
    [JsonPropertyName("bucket")]
    [Required]
    public string Bucket { get; set; } = "";

    /// <summary>Object name of the disk.</summary>
    [JsonPropertyName("object")]
    [Required]
    public string Object { get; set; } = "";

    /// <summary>Disk format of the stored object.</summary>
    [JsonPropertyName("format")]
    [Required]
    public ExportFormat Format { get; set; }

    /// <summary>Size of the stored object in bytes.</summary>
    [JsonPropertyName("sizeBytes")]
    [Minimum(0)]
    public long SizeBytes { get; set; }

    /// <summary>Size of the virtual disk seen by the guest, in bytes.</summary>
    [JsonPropertyName("virtualSizeBytes")]
    [Minimum(0)]
    public long VirtualSizeBytes { get; set; }

    /// <summary>SHA-256 of the stored object, lowercase hexadecimal.</summary>
    [JsonPropertyName("sha256")]
    [Pattern(Patterns.Sha256)]
    public string? Sha256 { get; set; }

    /// <summary>
    /// Entity tag the object store gave the stored object when it was written. Exports and copies compare it with the
    /// object before and while they read it: an object replaced behind the operator's back is never shipped.
    /// </summary>
    [JsonPropertyName("etag")]
    [Length(Max = 128)]
    public string? ETag { get; set; }
}

using System.Text.Json.Serialization;
using ImageOperator.Api.Schema;
using k8s.Models;

namespace ImageOperator.Api.V1Alpha1;

/// <summary>
/// Imports a disk image from object storage (a bucket and object, an object-storage or pre-authenticated URL,
/// an export manifest, or another CustomImage to copy), converts it in the operator and creates a CustomImage.
/// </summary>
[KubernetesEntity(Group = Groups.ImageOperator, ApiVersion = Groups.V1Alpha1, Kind = "ImageImport", PluralName = "imageimports")]
[ShortNames("imgimp")]
[Categories(Groups.Category)]
[PrinterColumn("Phase", PrinterColumnType.String, ".status.phase", "Import phase.")]
[PrinterColumn("Progress", PrinterColumnType.Integer, ".status.progress.percent", "Percent done.")]
[PrinterColumn("Image", PrinterColumnType.String, ".spec.imageName", "CustomImage created by the import.")]
[PrinterColumn("Age", PrinterColumnType.Date, ".metadata.creationTimestamp", "Time since creation.")]
public sealed class ImageImport : CustomResource<ImageImportSpec, ImageImportStatus>;

/// <summary>Desired state of an import.</summary>
public sealed class ImageImportSpec
{
    /// <summary>Where the image comes from.</summary>
    [JsonPropertyName("source")]
    [Required]
    public ImportSource Source { get; set; } = new();

    /// <summary>
    /// Disk format of the source. Auto detects it from the data; a stated format that the data contradicts fails
    /// the import with reason FormatMismatch.
    /// </summary>
    [JsonPropertyName("sourceImageType")]
    [Default(SourceImageType.Auto)]
    public SourceImageType SourceImageType { get; set; } = SourceImageType.Auto;

    /// <summary>Name of the CustomImage to create in this namespace.</summary>
    [JsonPropertyName("imageName")]
    [Required]
    [Pattern(Patterns.ObjectName)]
    [Length(Max = 253)]
    public string ImageName { get; set; } = "";

    /// <summary>Human-readable name of the created image; defaults to imageName.</summary>
    [JsonPropertyName("displayName")]
    [Length(Min = 1, Max = 255)]
    public string? DisplayName { get; set; }

    /// <summary>
    /// Operating system of the image. Required unless the source carries it (OCI files, export manifests, copies).
    /// </summary>
    [JsonPropertyName("operatingSystem")]
    public GuestOperatingSystem? OperatingSystem { get; set; }

    /// <summary>
    /// Operating system version; for Windows the exact version and edition, for example
    /// <c>Server 2022 Standard</c>.
    /// </summary>
    [JsonPropertyName("operatingSystemVersion")]
    [Length(Min = 1, Max = 64)]
    public string? OperatingSystemVersion { get; set; }

    /// <summary>
    /// Launch mode: PARAVIRTUALIZED (recommended) or EMULATED for foreign images. Ignored for OCI files, whose
    /// metadata decides; NATIVE only for QCOW2 images exported from this platform.
    /// </summary>
    [JsonPropertyName("launchMode")]
    public LaunchMode? LaunchMode { get; set; }

    /// <summary>Processor architecture of the guest; defaults to x86_64 unless the source carries it.</summary>
    [JsonPropertyName("architecture")]
    public CpuArchitecture? Architecture { get; set; }

    /// <summary>
    /// Hardware generation the image was built on, copied to the created image; checked against the
    /// hardware-generation matrix for every shape compatibility entry. Omitted means unknown.
    /// </summary>
    [JsonPropertyName("builtOnHardwareGeneration")]
    public HardwareGeneration? BuiltOnHardwareGeneration { get; set; }

    /// <summary>Licence certification; required for Windows images.</summary>
    [JsonPropertyName("licenseAttestation")]
    public LicenseAttestation? LicenseAttestation { get; set; }

    /// <summary>Shapes the created image may be launched on.</summary>
    [JsonPropertyName("shapeCompatibilities")]
    [Items(Max = Limits.MaxShapeCompatibilities)]
    [ListMapKeys("shape")]
    public IList<ShapeCompatibility> ShapeCompatibilities { get; set; } = [];

    /// <summary>Free-form tags of the created image: key (at most 100 characters) to value; at most 64 tags with definedTags together.</summary>
    [JsonPropertyName("freeformTags")]
    [Items(Max = Limits.MaxTags)]
    [ValueLength(Max = Limits.MaxTagValueLength)]
    public IDictionary<string, string> FreeformTags { get; set; } = new Dictionary<string, string>();

    /// <summary>Defined tags of the created image: tag namespace to (key to value), names of at most 100 characters; at most 64 tags with freeformTags together.</summary>
    [JsonPropertyName("definedTags")]
    [Items(Max = Limits.MaxTags)]
    [ValueLength(Max = Limits.MaxTagValueLength)]
    public IDictionary<string, IDictionary<string, string>> DefinedTags { get; set; } =
        new Dictionary<string, IDictionary<string, string>>();

    /// <summary>How long transient errors are retried; the operator's defaults when omitted.</summary>
    [JsonPropertyName("retryPolicy")]
    public RetryPolicy? RetryPolicy { get; set; }
}

/// <summary>Source of an import; exactly one field is set.</summary>
[ExactlyOneOf("objectStore", "url", "customImage", "manifest")]
public sealed class ImportSource
{
    /// <summary>A disk image object in one of the operator's object stores (needs read access to it).</summary>
    [JsonPropertyName("objectStore")]
    public ObjectStoreLocation? ObjectStore { get; set; }

    /// <summary>A disk image at an object-storage, S3 path-style or pre-authenticated URL.</summary>
    [JsonPropertyName("url")]
    public UrlLocation? Url { get; set; }

    /// <summary>An existing CustomImage to copy (shared with this namespace when in another one).</summary>
    [JsonPropertyName("customImage")]
    public ObjectReference? CustomImage { get; set; }

    /// <summary>
    /// URL of an export manifest: the disk object it names is imported and the image metadata it records
    /// (operating system, version, launch mode, architecture, shape compatibilities) is restored.
    /// </summary>
    [JsonPropertyName("manifest")]
    public UrlLocation? Manifest { get; set; }
}

/// <summary>Observed state of an import.</summary>
public sealed class ImageImportStatus : TransferStatus
{
    /// <summary>Phase: Pending, Importing, Succeeded or Failed.</summary>
    [JsonPropertyName("phase")]
    public ImportPhase? Phase { get; set; }

    /// <summary>Disk format found in the source data.</summary>
    [JsonPropertyName("detectedFormat")]
    public SourceImageType? DetectedFormat { get; set; }

    /// <summary>Size of the virtual disk seen by the guest, in bytes.</summary>
    [JsonPropertyName("virtualSizeBytes")]
    [Minimum(0)]
    public long? VirtualSizeBytes { get; set; }

    /// <summary>The CustomImage created by this import.</summary>
    [JsonPropertyName("imageRef")]
    public ObjectReference? ImageRef { get; set; }
}

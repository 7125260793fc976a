using System.Text.Json.Serialization;
using ImageOperator.Api.Schema;
using k8s.Models;

namespace ImageOperator.Api.V1Alpha1;

/// <summary>
/// Exports a CustomImage to object storage in the requested format, writing beside the disk object a manifest
/// (format, sizes, SHA-256, image metadata) that another namespace or region can import from. The image stays
/// usable during the export but cannot be deleted until the export finishes.
/// </summary>
[KubernetesEntity(Group = Groups.ImageOperator, ApiVersion = Groups.V1Alpha1, Kind = "ImageExport", PluralName = "imageexports")]
[ShortNames("imgexp")]
[Categories(Groups.Category)]
[PrinterColumn("Image", PrinterColumnType.String, ".spec.imageName", "Exported CustomImage.")]
[PrinterColumn("Format", PrinterColumnType.String, ".spec.format", "Export format.")]
[PrinterColumn("Phase", PrinterColumnType.String, ".status.phase", "Export phase.")]
[PrinterColumn("Progress", PrinterColumnType.Integer, ".status.progress.percent", "Percent done.")]
[PrinterColumn("Age", PrinterColumnType.Date, ".metadata.creationTimestamp", "Time since creation.")]
public sealed class ImageExport : CustomResource<ImageExportSpec, ImageExportStatus>;

/// <summary>Desired state of an export.</summary>
public sealed class ImageExportSpec
{
    /// <summary>
    /// Name of the CustomImage to export, in this namespace. Platform, Marketplace and DerivedFromMarketplace
    /// images cannot be exported.
    /// </summary>
    [JsonPropertyName("imageName")]
    [Required]
    [Pattern(Patterns.ObjectName)]
    [Length(Max = 253)]
    public string ImageName { get; set; } = "";

    /// <summary>Disk format to write.</summary>
    [JsonPropertyName("format")]
    [Required]
    public ExportFormat Format { get; set; }

    /// <summary>Where to write the exported object (needs write access to the bucket).</summary>
    [JsonPropertyName("destination")]
    [Required]
    public ExportDestination Destination { get; set; } = new();

    /// <summary>Request a pre-authenticated (pre-signed) read URL of the exported object.</summary>
    [JsonPropertyName("preauthenticatedRequest")]
    public PreauthenticatedRequest? PreauthenticatedRequest { get; set; }

    /// <summary>How long transient errors are retried; the operator's defaults when omitted.</summary>
    [JsonPropertyName("retryPolicy")]
    public RetryPolicy? RetryPolicy { get; set; }
}

/// <summary>Destination of an export; exactly one field is set.</summary>
[ExactlyOneOf("objectStore", "url")]
public sealed class ExportDestination
{
    /// <summary>A bucket and object in one of the operator's object stores.</summary>
    [JsonPropertyName("objectStore")]
    public ObjectStoreLocation? ObjectStore { get; set; }

    /// <summary>
    /// An object-storage or pre-authenticated URL. A URL that names a bucket but no object (a bucket-level
    /// pre-authenticated request) gets <c>/o/&lt;object&gt;</c> appended, with objectName as the object.
    /// </summary>
    [JsonPropertyName("url")]
    public UrlLocation? Url { get; set; }

    /// <summary>
    /// Replace an object already at the destination that this export did not write (a Warning event names its
    /// ETag). By default such an export fails with DestinationExists before writing anything. Checked where the
    /// operator can look (objectStore destinations and URLs on its stores); a pre-signed PUT URL is written as given.
    /// </summary>
    [JsonPropertyName("overwrite")]
    [Default(false)]
    public bool Overwrite { get; set; }

    /// <summary>Object name appended to a bucket-level URL; defaults to the image name plus the format's extension.</summary>
    [JsonPropertyName("objectName")]
    [Length(Min = 1, Max = 1024)]
    public string? ObjectName { get; set; }
}

/// <summary>A pre-authenticated read URL of an exported object, delivered in a Secret.</summary>
public sealed class PreauthenticatedRequest
{
    /// <summary>Whether to create the URL.</summary>
    [JsonPropertyName("enabled")]
    [Default(false)]
    public bool Enabled { get; set; }

    /// <summary>Lifetime of the URL in seconds, at most 7 days.</summary>
    [JsonPropertyName("expiresInSeconds")]
    [Minimum(60)]
    [Maximum(604800)]
    [Default(86400)]
    public int ExpiresInSeconds { get; set; } = 86400;

    /// <summary>Name of the Secret that receives the URL under key <c>url</c>; defaults to <c>&lt;export name&gt;-par</c>.</summary>
    [JsonPropertyName("secretName")]
    [Pattern(Patterns.ObjectName)]
    [Length(Max = 253)]
    public string? SecretName { get; set; }
}

/// <summary>Observed state of an export.</summary>
public sealed class ImageExportStatus : TransferStatus
{
    /// <summary>Phase: Pending, Exporting, Succeeded or Failed.</summary>
    [JsonPropertyName("phase")]
    public ExportPhase? Phase { get; set; }

    /// <summary>URL of the exported object without any credentials (never a pre-authenticated URL).</summary>
    [JsonPropertyName("objectUrl")]
    public string? ObjectUrl { get; set; }

    /// <summary>Size of the exported object in bytes, as verified at the destination.</summary>
    [JsonPropertyName("sizeBytes")]
    [Minimum(0)]
    public long? SizeBytes { get; set; }

    /// <summary>SHA-256 of the exported object, lowercase hexadecimal.</summary>
    [JsonPropertyName("sha256")]
    [Pattern(Patterns.Sha256)]
    public string? Sha256 { get; set; }

    /// <summary>Object name of the manifest written beside the disk object.</summary>
    [JsonPropertyName("manifestObject")]
    public string? ManifestObject { get; set; }

    /// <summary>Secret key holding the pre-authenticated read URL, when one was requested.</summary>
    [JsonPropertyName("preauthenticatedRequestSecretRef")]
    public SecretKeyReference? PreauthenticatedRequestSecretRef { get; set; }

    /// <summary>ETag of the disk object this export wrote, recorded as soon as it is written: a retry that finds it there knows it as its own.</summary>
    [JsonPropertyName("writtenETag")]
    [Length(Max = 128)]
    public string? WrittenETag { get; set; }
}

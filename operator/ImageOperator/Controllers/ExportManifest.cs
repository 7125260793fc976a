using System.Text.Json;
using System.Text.Json.Serialization;
using ImageOperator.Api.V1Alpha1;

namespace ImageOperator.Controllers;

/// <summary>
/// The small JSON document an export writes beside the disk object (<c>&lt;object&gt;.manifest.json</c>): what the
/// disk is (format, sizes, SHA-256), which image it holds (operating system, version, launch mode, architecture,
/// shape compatibilities) and the disk object's key, so that another namespace or region can import it.
/// </summary>
public sealed record ExportManifest
{
    /// <summary>Suffix of the manifest's object name.</summary>
    public const string Suffix = ".manifest.json";

    /// <summary>Version of this document's layout.</summary>
    public int SchemaVersion { get; init; } = 1;

    /// <summary>Who wrote it: <c>imageoperator.io</c>.</summary>
    public string ExportedBy { get; init; } = ImageSpecMetadata.ThisPlatform;

    /// <summary>When the export finished, UTC.</summary>
    public required DateTime ExportedAt { get; init; }

    /// <summary>Disk format of the object: <c>OCI</c>, <c>QCOW2</c>, <c>VMDK</c>, <c>VDI</c>, <c>VHD</c> or <c>RAW</c>.</summary>
    public required string Format { get; init; }

    /// <summary>Bucket of the disk object.</summary>
    public required string Bucket { get; init; }

    /// <summary>Key of the disk object, in the same bucket as the manifest.</summary>
    public required string DiskObject { get; init; }

    /// <summary>Size of the disk object in bytes.</summary>
    public required long SizeBytes { get; init; }

    /// <summary>Size of the virtual disk in bytes.</summary>
    public required long VirtualSizeBytes { get; init; }

    /// <summary>SHA-256 of the disk object, lowercase hexadecimal.</summary>
    public required string Sha256 { get; init; }

    /// <summary>Display name of the image.</summary>
    public string? DisplayName { get; init; }

    /// <summary>Operating system, as spelled in the API.</summary>
    public required string OperatingSystem { get; init; }

    /// <summary>Operating-system version.</summary>
    public required string OperatingSystemVersion { get; init; }

    /// <summary>Launch mode, as spelled in the API.</summary>
    public required string LaunchMode { get; init; }

    /// <summary>Architecture, as spelled in the API.</summary>
    public required string Architecture { get; init; }

    /// <summary>Shapes the image is compatible with.</summary>
    public IReadOnlyList<ShapeCompatibility> ShapeCompatibilities { get; init; } = [];

    /// <summary>Builds the manifest of an export of <paramref name="image"/>.</summary>
    public static ExportManifest For(CustomImage image, ExportFormat format, string bucket, string diskObject, long sizeBytes, long virtualSizeBytes, string sha256, DateTime exportedAt)
    {
        ArgumentNullException.ThrowIfNull(image);
        var spec = image.Spec;
        return new ExportManifest
        {
            ExportedAt = exportedAt,
            Format = ImageSpecMetadata.Text(format),
            Bucket = bucket,
            DiskObject = diskObject,
            SizeBytes = sizeBytes,
            VirtualSizeBytes = virtualSizeBytes,
            Sha256 = sha256,
            DisplayName = spec.DisplayName ?? image.Metadata.Name,
            OperatingSystem = ImageSpecMetadata.Text(spec.OperatingSystem),
            OperatingSystemVersion = spec.OperatingSystemVersion,
            LaunchMode = ImageSpecMetadata.Text(spec.LaunchMode),
            Architecture = ImageSpecMetadata.Text(spec.Architecture),
            ShapeCompatibilities = [.. spec.ShapeCompatibilities],
        };
    }

    /// <summary>The UTF-8 JSON of the manifest (camelCase, indented).</summary>
    public byte[] ToUtf8Json() => JsonSerializer.SerializeToUtf8Bytes(this, Options);

    /// <summary>Parses a manifest.</summary>
    /// <exception cref="JsonException">The document is not a manifest.</exception>
    public static ExportManifest Parse(ReadOnlySpan<byte> utf8Json) =>
        JsonSerializer.Deserialize<ExportManifest>(utf8Json, Options) ?? throw new JsonException("the manifest is null");

    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = true,
        MaxDepth = 16,
    };
}

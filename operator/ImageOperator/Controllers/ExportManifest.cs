using System.Text.Json;
using System.Text.Json.Serialization;
using ImageOperator.Api.V1Alpha1;
using ImageOperator.DiskFormats;

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

    /// <summary>Largest manifest an import reads; a real one is a few KiB even with many shapes.</summary>
    public const int MaxBytes = 256 * 1024;

    /// <summary>The only <see cref="SchemaVersion"/> this operator reads.</summary>
    public const int CurrentSchemaVersion = 1;

    /// <summary>Version of this document's layout.</summary>
    public int SchemaVersion { get; init; } = CurrentSchemaVersion;

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

    /// <summary>
    /// Checks what an import relies on: the schema version, a known format, positive sizes, a SHA-256 in lowercase
    /// hexadecimal, a disk object name and image metadata in the API's spellings.
    /// </summary>
    /// <returns>The disk format.</returns>
    /// <exception cref="TransferFailure">Reason <see cref="ControllerReasons.InvalidManifest"/>, naming the field.</exception>
    public ExportFormat Validate()
    {
        if (SchemaVersion != CurrentSchemaVersion)
        {
            throw Invalid($"schemaVersion {SchemaVersion} is not supported (this operator reads version {CurrentSchemaVersion})");
        }

        var format = ImageSpecMetadata.Parse<ExportFormat>(Format) ?? throw Invalid($"format '{Format}' is not one of OCI, QCOW2, VMDK, VDI, VHD, RAW");
        if (SizeBytes <= 0 || VirtualSizeBytes <= 0)
        {
            throw Invalid("sizeBytes and virtualSizeBytes must be positive");
        }

        if (Sha256 is not { Length: 64 } || !Sha256.All(char.IsAsciiHexDigitLower))
        {
            throw Invalid("sha256 must be 64 lowercase hexadecimal digits");
        }

        if (Storage.ObjectLocation.ObjectNameProblem(DiskObject) is { } diskObjectProblem)
        {
            throw Invalid($"diskObject is refused: {diskObjectProblem}");
        }

        if (string.IsNullOrEmpty(OperatingSystemVersion))
        {
            throw Invalid("operatingSystemVersion is empty");
        }

        _ = ImageSpecMetadata.Parse<GuestOperatingSystem>(OperatingSystem) ?? throw Invalid($"operatingSystem '{OperatingSystem}' is unknown");
        _ = ImageSpecMetadata.Parse<LaunchMode>(LaunchMode) ?? throw Invalid($"launchMode '{LaunchMode}' is unknown");
        _ = ImageSpecMetadata.Parse<CpuArchitecture>(Architecture) ?? throw Invalid($"architecture '{Architecture}' is unknown");
        return format;
    }

    /// <summary>The image metadata the manifest records, as the engine's formats carry it.</summary>
    public ImageMetadata ToImageMetadata() => new()
    {
        DisplayName = DisplayName,
        OperatingSystem = OperatingSystem,
        OperatingSystemVersion = OperatingSystemVersion,
        LaunchMode = LaunchMode,
        Architecture = Architecture,
        ShapeCompatibilities = ImageSpecMetadata.ToMetadata(ShapeCompatibilities),
        ExportedBy = ExportedBy,
    };

    /// <summary>The UTF-8 JSON of the manifest (camelCase, indented).</summary>
    public byte[] ToUtf8Json() => JsonSerializer.SerializeToUtf8Bytes(this, Options);

    /// <summary>Parses a manifest.</summary>
    /// <exception cref="JsonException">The document is not a manifest.</exception>
    public static ExportManifest Parse(ReadOnlySpan<byte> utf8Json) =>
        JsonSerializer.Deserialize<ExportManifest>(utf8Json, Options) ?? throw new JsonException("the manifest is null");

    private static TransferFailure Invalid(string problem) => new(ControllerReasons.InvalidManifest, $"the manifest is invalid: {problem}");

    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = true,
        MaxDepth = 16,
    };
}

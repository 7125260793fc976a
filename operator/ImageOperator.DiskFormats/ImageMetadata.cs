namespace ImageOperator.DiskFormats;

/// <summary>
/// Descriptive metadata that travels with an image: in the JSON entry of an <c>.oci</c> archive, and in a
/// header extension of QCOW2 images written by this engine (which is how an import recognises a QCOW2
/// exported by this platform). Values are free text here; the operator validates them.
/// </summary>
public sealed record ImageMetadata
{
    /// <summary>Display name of the image.</summary>
    public string? DisplayName { get; init; }

    /// <summary>Operating system, e.g. <c>Oracle Linux</c>.</summary>
    public string? OperatingSystem { get; init; }

    /// <summary>Operating-system version, e.g. <c>8.9</c>.</summary>
    public string? OperatingSystemVersion { get; init; }

    /// <summary>Launch mode: <c>NATIVE</c>, <c>PARAVIRTUALIZED</c> or <c>EMULATED</c>.</summary>
    public string? LaunchMode { get; init; }

    /// <summary>Architecture: <c>x86_64</c> or <c>i386</c>.</summary>
    public string? Architecture { get; init; }

    /// <summary>Shapes the image is compatible with.</summary>
    public IReadOnlyList<ShapeCompatibilityMetadata> ShapeCompatibilities { get; init; } = [];

    /// <summary>Who wrote the image; <c>imageoperator.io</c> for images exported by this platform.</summary>
    public string? ExportedBy { get; init; }
}

/// <summary>One shape-compatibility entry carried in image metadata.</summary>
public sealed record ShapeCompatibilityMetadata
{
    /// <summary>Shape name.</summary>
    public required string Shape { get; init; }

    /// <summary>Lowest OCPU count allowed, if bounded.</summary>
    public int? MinOcpus { get; init; }

    /// <summary>Highest OCPU count allowed, if bounded.</summary>
    public int? MaxOcpus { get; init; }

    /// <summary>Lowest memory in GB allowed, if bounded.</summary>
    public int? MinMemoryGbs { get; init; }

    /// <summary>Highest memory in GB allowed, if bounded.</summary>
    public int? MaxMemoryGbs { get; init; }
}

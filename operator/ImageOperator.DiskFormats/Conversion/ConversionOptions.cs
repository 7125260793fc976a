using System.IO.Compression;

namespace ImageOperator.DiskFormats.Conversion;

/// <summary>Formats the converter writes.</summary>
public enum OutputFormat
{
    /// <summary>Plain disk bytes, sparse where the disk reads zeros.</summary>
    Raw,

    /// <summary>QCOW2 v3, 64 KiB clusters; compressed with <see cref="ConversionOptions.Compress"/>.</summary>
    Qcow2,

    /// <summary>streamOptimized VMDK (always compressed).</summary>
    Vmdk,

    /// <summary>Dynamic VDI, 1 MiB blocks.</summary>
    Vdi,

    /// <summary>Dynamic VHD, 2 MiB blocks.</summary>
    Vhd,

    /// <summary>Fixed VHD: the raw disk plus a footer.</summary>
    VhdFixed,

    /// <summary>The <c>.oci</c> archive: <c>metadata.json</c> and a QCOW2 (compressed with <see cref="ConversionOptions.Compress"/>).</summary>
    Oci,
}

/// <summary>What to write.</summary>
public sealed record ConversionOptions
{
    /// <summary>The output format.</summary>
    public required OutputFormat Format { get; init; }

    /// <summary>Compress QCOW2 clusters (also inside <c>.oci</c>). VMDK output is always compressed; other formats ignore it.</summary>
    public bool Compress { get; init; }

    /// <summary>Deflate effort. <see cref="CompressionLevel.Fastest"/> (zlib level 1) is several times faster than qemu's default level for a few percent more output.</summary>
    public CompressionLevel CompressionLevel { get; init; } = CompressionLevel.Fastest;

    /// <summary>Metadata embedded in a QCOW2 header extension or the <c>.oci</c> JSON entry; other formats ignore it.</summary>
    public ImageMetadata? Metadata { get; init; }

    /// <summary>
    /// Write the formats whose maps precede their data (uncompressed QCOW2 and <c>.oci</c>, dynamic VDI and VHD) in
    /// one pass, patching the maps into the sink's head at the end, when the sink can patch a head that large.
    /// The source is then read once instead of twice (no pre-scan), at the price of a head patch: the output's
    /// SHA-256 is then computed by reading the completed output back. Off by default: outputs stay forward-only.
    /// </summary>
    public bool PreferSinglePass { get; init; }

    /// <summary>
    /// The source's allocated extents are known to hold data, as in an image this engine wrote (it never stores an
    /// all-zero cluster). A two-pass write then takes its map from the source's extent map instead of scanning the
    /// data, so the source is read once. Leave it off for foreign sources: scanning them keeps their allocated-but-zero
    /// clusters out of the output. Either way the output is identical to the source; only its sparseness differs.
    /// </summary>
    public bool SourceAllocationIsExact { get; init; }

    /// <summary>Compute the SHA-256 of the output (costs one hash pass over every byte written, zeros included).</summary>
    public bool ComputeSha256 { get; init; } = true;

    /// <summary>
    /// Awaited after the last byte is written and before the sink is completed: a last check (such as the source's
    /// own digest, computed beside the conversion) that must pass for the output to become visible. When it throws,
    /// the sink is left incomplete, so disposing it discards the output.
    /// </summary>
    public Func<CancellationToken, Task>? CompletionGate { get; init; }
}

/// <summary>The outcome of a conversion.</summary>
/// <param name="BytesWritten">Length of the output, holes included.</param>
/// <param name="Sha256">SHA-256 of the output, or null when not requested.</param>
public sealed record ConversionResult(long BytesWritten, byte[]? Sha256);

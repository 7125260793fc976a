using ImageOperator.DiskFormats.Conversion;
using ImageOperator.DiskFormats.Formats.Qcow2;

namespace ImageOperator.DiskFormats.Formats.Oci;

/// <summary>
/// Writes the <c>.oci</c> archive: a ustar tar holding <c>metadata.json</c> (the image metadata, camelCase)
/// and then <c>disk.qcow2</c>. An uncompressed QCOW2's size is known from its layout before it is written,
/// so the archive is forward-only; a compressed one's is not, so its tar header is patched at the end along
/// with the QCOW2 header (both lie in the head region).
/// </summary>
internal static class OciWriter
{
    public const string MetadataEntry = "metadata.json";
    public const string DiskEntry = "disk.qcow2";

    public static async Task WriteAsync(
        DiskImage source, AllocationMap? map, ImageMetadata metadata, int? compressionLevel, ImageOutput output, ProgressTracker progress, CancellationToken cancellationToken)
    {
        var modified = DateTimeOffset.UtcNow;
        var json = Formats.ImageMetadataJson.Serialize(metadata);
        await output.WriteAsync(TarHeaderWriter.EntryHeaders(MetadataEntry, json.Length, modified), cancellationToken).ConfigureAwait(false);
        await output.WriteAsync(json, cancellationToken).ConfigureAwait(false);
        await output.WriteZerosAsync(TarHeaderWriter.Padding(json.Length), cancellationToken).ConfigureAwait(false);

        long diskSize;
        if (compressionLevel is { } level)
        {
            var headerOffset = output.Position;
            var header = TarHeaderWriter.Header(DiskEntry, 0, modified, (byte)'0');
            await output.WriteAsync(header, cancellationToken).ConfigureAwait(false);
            var start = output.Position;
            await new Qcow2CompressedWriter(source.VirtualSize, metadata, level).WriteAsync(source, output, progress, cancellationToken).ConfigureAwait(false);
            diskSize = output.Position - start;
            TarHeaderWriter.SetSize(header, diskSize);
            await output.PatchHeadAsync(headerOffset, header, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            var writer = new Qcow2Writer(map ?? throw new ArgumentNullException(nameof(map)), metadata);
            diskSize = writer.OutputLength;
            await output.WriteAsync(TarHeaderWriter.EntryHeaders(DiskEntry, diskSize, modified), cancellationToken).ConfigureAwait(false);
            await writer.WriteAsync(source, output, progress, cancellationToken).ConfigureAwait(false);
        }

        await output.WriteZerosAsync(TarHeaderWriter.Padding(diskSize) + (2 * TarHeaderWriter.BlockSize), cancellationToken).ConfigureAwait(false);
    }
}

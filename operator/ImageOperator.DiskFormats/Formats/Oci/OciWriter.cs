using ImageOperator.DiskFormats.Conversion;
using ImageOperator.DiskFormats.Formats.Qcow2;

namespace ImageOperator.DiskFormats.Formats.Oci;

/// <summary>
/// Writes the <c>.oci</c> archive: a ustar tar holding <c>metadata.json</c> (the image metadata, camelCase)
/// and then <c>disk.qcow2</c>. An uncompressed QCOW2's size is known from its layout before it is written,
/// so the archive is forward-only; a QCOW2 written in one pass (compressed, or by preference) has its size known
/// only at the end, so its tar header is patched then along with the QCOW2 header (both lie in the head region).
/// </summary>
internal static class OciWriter
{
    public const string MetadataEntry = "metadata.json";
    public const string DiskEntry = "disk.qcow2";

    /// <summary>Where the <c>disk.qcow2</c> entry's tar header starts: after the metadata entry.</summary>
    public static long DiskEntryOffset(ImageMetadata metadata)
    {
        var json = Formats.ImageMetadataJson.Serialize(metadata).Length;
        return TarHeaderWriter.BlockSize + json + TarHeaderWriter.Padding(json);
    }

    /// <summary>Writes the archive; without a pre-scanned <paramref name="map"/> the QCOW2 is written in one pass.</summary>
    public static async Task WriteAsync(
        DiskImage source, AllocationMap? map, ImageMetadata metadata, int? compressionLevel, ImageOutput output, ProgressTracker progress, CancellationToken cancellationToken)
    {
        var modified = DateTimeOffset.UtcNow;
        var json = Formats.ImageMetadataJson.Serialize(metadata);
        await output.WriteAsync(TarHeaderWriter.EntryHeaders(MetadataEntry, json.Length, modified), cancellationToken).ConfigureAwait(false);
        await output.WriteAsync(json, cancellationToken).ConfigureAwait(false);
        await output.WriteZerosAsync(TarHeaderWriter.Padding(json.Length), cancellationToken).ConfigureAwait(false);

        long diskSize;
        if (map is null)
        {
            var headerOffset = output.Position;
            var header = TarHeaderWriter.Header(DiskEntry, 0, modified, OciConstants.TypeRegular);
            await output.WriteAsync(header, cancellationToken).ConfigureAwait(false);
            var start = output.Position;
            await new Qcow2OnePassWriter(source.VirtualSize, metadata, compressionLevel).WriteAsync(source, output, progress, cancellationToken).ConfigureAwait(false);
            diskSize = output.Position - start;
            TarHeaderWriter.SetSize(header, diskSize);
            await output.PatchHeadAsync(headerOffset, header, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            var writer = new Qcow2Writer(map, metadata);
            diskSize = writer.OutputLength;
            await output.WriteAsync(TarHeaderWriter.EntryHeaders(DiskEntry, diskSize, modified), cancellationToken).ConfigureAwait(false);
            await writer.WriteAsync(source, output, progress, cancellationToken).ConfigureAwait(false);
        }

        await output.WriteZerosAsync(TarHeaderWriter.Padding(diskSize) + (2 * TarHeaderWriter.BlockSize), cancellationToken).ConfigureAwait(false);
    }
}

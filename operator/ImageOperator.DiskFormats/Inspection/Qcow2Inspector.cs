using ImageOperator.DiskFormats.Formats;
using ImageOperator.DiskFormats.Formats.Qcow2;

namespace ImageOperator.DiskFormats.Inspection;

/// <summary>
/// Decides whether a QCOW2 header may be read safely: nothing outside the file (backing file, external data file),
/// no encryption, no feature the reader does not know, no state the image itself calls unreliable, and every
/// table within the file and the limits.
/// </summary>
internal static class Qcow2Inspector
{
    /// <summary>Checks the header; returns the tolerated findings.</summary>
    public static List<string> Inspect(Qcow2Header header, ReadOnlySpan<byte> headerCluster, long fileLength, DiskImageLimits limits)
    {
        var findings = new List<string>();
        if (header.BackingFileOffset != 0)
        {
            ImageThrowHelper.Throw(
                ImageProblem.BackingFile,
                $"the QCOW2 image has a backing file{QuotedString(headerCluster, header.BackingFileOffset, header.BackingFileSize)}; images that depend on other files are refused");
        }

        if ((header.IncompatibleFeatures & Qcow2Constants.IncompatibleExternalData) != 0)
        {
            var name = header.FindExtension(Qcow2Constants.ExtensionExternalDataFileName) is { } e ? $" '{ImageThrowHelper.Printable(e.Data.Span)}'" : string.Empty;
            ImageThrowHelper.Throw(ImageProblem.ExternalData, $"the QCOW2 image keeps its data in an external data file{name}; it is refused");
        }

        if (header.CryptMethod != Qcow2Constants.CryptNone || header.FindExtension(Qcow2Constants.ExtensionFullDiskEncryption) is not null)
        {
            ImageThrowHelper.Throw(ImageProblem.Encrypted, $"the QCOW2 image is encrypted (crypt_method {header.CryptMethod}); encrypted images are refused");
        }

        var unknown = header.IncompatibleFeatures & ~Qcow2Constants.KnownIncompatibleFeatures;
        if (unknown != 0)
        {
            var bits = string.Join(", ", Enumerable.Range(0, 64).Where(b => (unknown & (1UL << b)) != 0));
            ImageThrowHelper.ThrowUnsupported($"the QCOW2 image uses unknown incompatible feature bits ({bits})");
        }

        if ((header.IncompatibleFeatures & Qcow2Constants.IncompatibleCorrupt) != 0)
        {
            ImageThrowHelper.Throw(ImageProblem.MarkedCorrupt, "the QCOW2 image is marked corrupt (incompatible feature bit 1); repair it with qemu-img check -r all");
        }

        if ((header.IncompatibleFeatures & Qcow2Constants.IncompatibleDirty) != 0)
        {
            ImageThrowHelper.Throw(ImageProblem.MarkedCorrupt, "the QCOW2 image is dirty (incompatible feature bit 0: not closed cleanly); repair it with qemu-img check -r all");
        }

        CheckCompression(header);
        CheckGeometry(header, limits);
        CheckTables(header, fileLength, limits);

        if (header.NbSnapshots != 0)
        {
            findings.Add($"the image has {header.NbSnapshots} internal snapshot(s); only the active state is read");
        }

        if (header.FindExtension(Qcow2Constants.ExtensionBitmaps) is not null)
        {
            findings.Add("the image carries persistent dirty bitmaps; they are ignored");
        }

        return findings;
    }

    /// <summary>Reads this engine's metadata extension, if present.</summary>
    public static ImageMetadata? ReadMetadata(Qcow2Header header, DiskImageLimits limits)
    {
        if (header.FindExtension(Qcow2Constants.ExtensionImageOperatorMetadata) is not { } extension)
        {
            return null;
        }

        if (extension.Data.Length > limits.MaxMetadataBytes)
        {
            ImageThrowHelper.ThrowLimitExceeded($"the QCOW2 metadata extension holds {extension.Data.Length} bytes, more than the {limits.MaxMetadataBytes} allowed");
        }

        return ImageMetadataJson.Deserialize(extension.Data.Span, "the QCOW2 header extension 0x494D4F50");
    }

    private static void CheckCompression(Qcow2Header header)
    {
        var declared = (header.IncompatibleFeatures & Qcow2Constants.IncompatibleCompressionType) != 0;
        if (header.CompressionType is not (Qcow2Constants.CompressionZlib or Qcow2Constants.CompressionZstd))
        {
            ImageThrowHelper.ThrowUnsupported($"the QCOW2 compression type {header.CompressionType} is not supported (0 zlib, 1 zstd)");
        }

        if (header.CompressionType != Qcow2Constants.CompressionZlib && !declared)
        {
            ImageThrowHelper.ThrowMalformed($"the QCOW2 compression type {header.CompressionType} is set without the compression-type feature bit");
        }
    }

    private static void CheckGeometry(Qcow2Header header, DiskImageLimits limits)
    {
        if (header.ClusterSize > limits.MaxClusterSize)
        {
            ImageThrowHelper.ThrowLimitExceeded($"the QCOW2 cluster size {header.ClusterSize} exceeds the {limits.MaxClusterSize}-byte limit");
        }

        if (header.Size > (ulong)limits.MaxVirtualSize)
        {
            ImageThrowHelper.ThrowLimitExceeded($"the QCOW2 virtual size {header.Size} exceeds the {limits.MaxVirtualSize}-byte limit");
        }

        if (header.HasExtendedL2 && header.ClusterBits < Qcow2Constants.MinExtendedL2ClusterBits)
        {
            ImageThrowHelper.ThrowMalformed($"the QCOW2 image uses extended L2 entries with {header.ClusterSize}-byte clusters (at least 16 KiB are needed)");
        }

        if (header.RefcountOrder is < 0 or > Qcow2Constants.MaxRefcountOrder)
        {
            ImageThrowHelper.ThrowMalformed($"the QCOW2 refcount_order {header.RefcountOrder} is outside 0..{Qcow2Constants.MaxRefcountOrder}");
        }
    }

    private static void CheckTables(Qcow2Header header, long fileLength, DiskImageLimits limits)
    {
        var l1Bytes = (long)header.L1Size * Qcow2Constants.L2EntrySize;
        if (l1Bytes > Math.Min(Qcow2Constants.MaxL1Bytes, limits.MaxTableBytes))
        {
            ImageThrowHelper.ThrowLimitExceeded($"the QCOW2 l1_size {header.L1Size} ({l1Bytes} bytes) exceeds the {Math.Min(Qcow2Constants.MaxL1Bytes, limits.MaxTableBytes)}-byte limit");
        }

        if (header.L1Size < header.RequiredL1Size)
        {
            ImageThrowHelper.ThrowMalformed($"the QCOW2 l1_size {header.L1Size} is too small for the virtual size {header.Size} ({header.RequiredL1Size} entries needed)");
        }

        if (header.L1Size > 0)
        {
            CheckClusterAligned("L1 table", header.L1TableOffset, header);
            ImageThrowHelper.EnsureWithinFile("QCOW2 L1 table", (long)header.L1TableOffset, l1Bytes, fileLength);
        }

        var refcountTableBytes = (long)header.RefcountTableClusters * header.ClusterSize;
        if (refcountTableBytes > Qcow2Constants.MaxRefcountTableBytes)
        {
            ImageThrowHelper.ThrowLimitExceeded($"the QCOW2 refcount table ({header.RefcountTableClusters} clusters) exceeds {Qcow2Constants.MaxRefcountTableBytes} bytes");
        }

        CheckClusterAligned("refcount table", header.RefcountTableOffset, header);
    }

    private static void CheckClusterAligned(string what, ulong offset, Qcow2Header header)
    {
        if (offset >= Qcow2Constants.MaxHostOffset || offset % (ulong)header.ClusterSize != 0)
        {
            ImageThrowHelper.ThrowMalformed($"the QCOW2 {what} offset {offset} is not a cluster-aligned host offset");
        }
    }

    private static string QuotedString(ReadOnlySpan<byte> headerCluster, ulong offset, uint length) =>
        offset < (ulong)headerCluster.Length && length <= (ulong)headerCluster.Length - offset
            ? $" '{ImageThrowHelper.Printable(headerCluster.Slice((int)offset, (int)length))}'"
            : string.Empty;
}
